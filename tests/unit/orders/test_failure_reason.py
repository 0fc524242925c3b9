"""`failureReason` (API.md v1.1): set by the final event of an unfulfilled order, derived the same
way for streams written before the field existed (a replay or rebuild agrees with the live order)."""

from __future__ import annotations

from typing import Any

import pytest

from shared.orders.model import OrderState, apply
from tests.unit.orders.test_model import AT, CREATED, PAYMENT

DECLINED = {"payment": {"paymentId": "pay_o1", "status": "declined", "last4": "0002"}}


def run(*events: tuple[str, dict[str, Any]]) -> OrderState:
    state = apply(None, "OrderCreated", CREATED, AT)
    for event_type, data in events:
        state = apply(state, event_type, data, AT)
    return state


@pytest.mark.parametrize(
    ("events", "expected"),
    [
        ([("OrderOutOfStock", {"reason": "insufficient_stock"})], "out_of_stock"),
        ([("PaymentFailed", DECLINED), ("OrderPaymentFailed", {"reason": "card_declined"})], "card_declined"),
        ([("OrderPaymentFailed", {"reason": "insufficient_funds"})], "insufficient_funds"),
        # Provider-internal codes are not part of the contract.
        ([("OrderPaymentFailed", {"reason": "provider_unavailable"})], "payment_error"),
        ([("OrderPaymentFailed", {"reason": "capture_failed"})], "payment_error"),
        ([("OrderRejected", {"reason": "fraud_rejected"})], "fraud_rejected"),
        (
            [
                ("PaymentAuthorized", PAYMENT),
                ("FraudChecked", {"score": 0.7, "decision": "review"}),
                ("OrderAwaitingReview", {}),
                ("OrderReviewed", {"decision": "reject", "timedOut": True}),
                ("OrderRejected", {"reason": "fraud_rejected"}),
            ],
            "review_timeout",
        ),
        (
            [
                ("OrderCancellationRequested", {"by": "c1"}),
                ("OrderCancelled", {"reason": "cancelled on request"}),
            ],
            "cancelled_by_customer",
        ),
        (
            [
                ("OrderCancellationRequested", {"by": "agent", "byStaff": True}),
                ("OrderCancelled", {"reason": "cancelled on request"}),
            ],
            "cancelled_by_staff",
        ),
        ([("OrderCancelled", {"reason": "processing_error"})], "processing_error"),
        # Given explicitly (a confirmed order cancelled by support: no request event before it).
        ([("OrderCancelled", {"reason": "x", "failureReason": "cancelled_by_staff"})], "cancelled_by_staff"),
    ],
)
def test_the_final_event_says_why(events: list[tuple[str, dict[str, Any]]], expected: str) -> None:
    state = run(*events)
    assert state.failure_reason == expected
    assert state.public().model_dump(by_alias=True)["failureReason"] == expected


def test_in_flight_and_fulfilled_orders_have_no_failure_reason() -> None:
    assert run().failure_reason is None
    shipped = run(
        ("PaymentCaptured", PAYMENT),
        ("OrderConfirmed", {}),
        ("OrderShipped", {"carrier": "DHL", "trackingNumber": "T1"}),
    )
    assert shipped.failure_reason is None
    assert shipped.shipment is not None and shipped.shipment.tracking_number == "T1"
    assert shipped.shipment.shipped_at == AT  # events written before the field: the event's time
