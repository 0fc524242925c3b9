"""The order state machine (projection of the stream), without any store."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from orchestrations.order_workflow import parse_decision
from shared.orders.model import TRANSITIONS, InvalidOrderState, OrderState, apply

AT = "2026-11-25T10:00:00+00:00"
USD = {"amount": "20.00", "currency": "USD"}
CREATED: dict[str, Any] = {
    "id": "o1",
    "customerId": "c1",
    "items": [
        {
            "sku": "S",
            "productId": "p",
            "name": "n",
            "quantity": 2,
            "unitPrice": {"amount": "10.00", "currency": "USD"},
            "lineTotal": USD,
        }
    ],
    "subtotal": USD,
    "total": USD,
    "refundedAmount": {"amount": "0.00", "currency": "USD"},
    "currency": "USD",
    "shippingAddress": {"country": "US"},
    "paymentToken": "tok_x",
    "requestHash": "h",
}
PAYMENT = {"payment": {"paymentId": "pay_o1", "status": "captured", "last4": "4242"}}


def run(*events: tuple[str, dict[str, Any]]) -> OrderState:
    state = apply(None, "OrderCreated", CREATED, AT)
    for event_type, data in events:
        state = apply(state, event_type, data, AT)
    return state


def test_created_is_pending_version_1_and_hides_the_token_publicly() -> None:
    state = run()
    assert (state.status, state.version, state.payment_token) == ("pending", 1, "tok_x")
    assert "paymentToken" not in state.public().model_dump(by_alias=True)


def test_happy_path_to_shipped() -> None:
    state = run(
        ("InventoryReserved", {"lines": []}),
        ("PaymentAuthorized", PAYMENT),
        ("FraudChecked", {"score": 0.1, "decision": "approve", "modelVersion": None}),
        ("PaymentCaptured", PAYMENT),
        ("OrderConfirmed", {}),
        ("InventoryCommitted", {}),
        ("OrderShipped", {}),
    )
    assert (state.status, state.version, state.reservation) == ("shipped", 8, "committed")
    assert state.fraud is not None and state.fraud.decision == "approve" and state.captured


@pytest.mark.parametrize(
    ("events", "refused"),
    [
        ([], "OrderShipped"),
        ([("OrderOutOfStock", {"reason": "x"})], "OrderConfirmed"),
        ([("OrderRejected", {"reason": "x"})], "OrderCancelled"),
        ([("OrderConfirmed", {})], "OrderAwaitingReview"),
        ([("OrderConfirmed", {}), ("OrderShipped", {})], "OrderShipped"),
        ([], "OrderReviewed"),
    ],
)
def test_illegal_transitions_are_409(events: list[tuple[str, dict[str, Any]]], refused: str) -> None:
    state = run(*events)
    with pytest.raises(InvalidOrderState) as info:
        apply(state, refused, {}, AT)
    assert info.value.status == 409


def test_second_order_created_is_refused_and_every_type_is_guarded() -> None:
    with pytest.raises(InvalidOrderState):
        apply(run(), "OrderCreated", CREATED, AT)
    with pytest.raises(InvalidOrderState):
        apply(None, "OrderConfirmed", {}, AT)
    assert set(TRANSITIONS) >= {
        "OrderConfirmed",
        "OrderCancelled",
        "OrderRefunded",
        "OrderShipped",
        "OrderRejected",
    }


def test_partial_then_full_refund() -> None:
    state = run(("PaymentCaptured", PAYMENT), ("OrderConfirmed", {}))
    refund = {
        "refundId": "r1",
        "refund": {"amount": "5.00", "currency": "USD"},
        "refundedAmount": {"amount": "5.00", "currency": "USD"},
    }
    state = apply(state, "OrderRefunded", refund, AT)
    assert state.status == "confirmed" and str(state.refunded_amount) == "5.00 USD"
    state = apply(state, "OrderRefunded", {**refund, "refundId": "r2", "refundedAmount": USD}, AT)
    assert state.status == "refunded" and [r["refundId"] for r in state.refunds] == ["r1", "r2"]
    with pytest.raises(InvalidOrderState):
        apply(state, "OrderRefunded", refund, AT)


def test_review_and_cancellation_flags() -> None:
    state = run(
        ("OrderAwaitingReview", {}),
        ("OrderCancellationRequested", {}),
        ("OrderReviewed", {"decision": "cancel"}),
        ("PaymentVoided", PAYMENT),
        ("OrderCancelled", {}),
    )
    assert state.status == "cancelled" and state.cancel_requested and state.review == {"decision": "cancel"}


@pytest.mark.parametrize(
    ("raw", "decision"),
    [
        ({"decision": "approve"}, "approve"),
        ('{"decision": "reject"}', "reject"),
        ('"{\\"decision\\": \\"cancel\\"}"', "cancel"),
        ("garbage", "reject"),
        ({"decision": "maybe"}, "reject"),
        (None, "reject"),
    ],
)
def test_review_event_payloads(raw: Any, decision: str) -> None:
    assert parse_decision(raw)["decision"] == decision


def test_a_refund_in_compensation_shows_in_refunded_amount() -> None:
    refunded = {
        "payment": {"paymentId": "pay_o1", "status": "refunded", "last4": "4242"},
        "refundedAmount": USD,
    }
    state = run(("PaymentCaptured", PAYMENT), ("PaymentRefunded", refunded), ("OrderOutOfStock", {}))
    assert state.status == "out_of_stock" and state.refunded_amount.amount == Decimal("20.00")
    # Streams written before refundedAmount was recorded still replay (amount unchanged).
    old = run(("PaymentCaptured", PAYMENT), ("PaymentRefunded", {"payment": refunded["payment"]}))
    assert old.refunded_amount.amount == Decimal("0.00")
