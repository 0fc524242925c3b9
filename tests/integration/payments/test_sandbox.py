"""The sandbox providers' behaviour and their persisted, idempotent ledger."""

from __future__ import annotations

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.kernel.money import Money
from shared.payments.cards import CardDetails
from shared.payments.ports import (
    AuthorizeRequest,
    InvalidProviderRequest,
    PaymentDeclined,
    TransientProviderError,
)
from shared.payments.sandbox import PROCESSING_ERROR_CARD, SandboxProvider, list_charges, sandbox_container

TEN = Money.of("10.00", "USD")


@pytest.fixture
def sandbox(store: SqliteDocumentStore) -> SandboxProvider:
    return SandboxProvider(
        "sandbox", sandbox_container(store), transient_cards=frozenset({PROCESSING_ERROR_CARD})
    )


def auth(number: str, order: str = "o1", key: str = "o1:authorize") -> AuthorizeRequest:
    return AuthorizeRequest(
        order_id=order,
        amount=TEN,
        card=CardDetails(number=number, exp_month=1, exp_year=2031),
        idempotency_key=key,
    )


@pytest.mark.parametrize(
    ("number", "signal"),
    [
        ("4242424242424242", "normal"),
        ("4000000000004954", "highest"),
        ("4100000000000019", "blocked"),
        ("5555555555554444", "normal"),
    ],
)
def test_approved_cards_and_risk_signals(sandbox: SandboxProvider, number: str, signal: str) -> None:
    assert sandbox.authorize(auth(number)).risk_signal == signal


@pytest.mark.parametrize(
    ("number", "code"), [("4000000000000002", "card_declined"), ("4000000000009995", "insufficient_funds")]
)
def test_declined_cards(sandbox: SandboxProvider, number: str, code: str) -> None:
    with pytest.raises(PaymentDeclined) as info:
        sandbox.authorize(auth(number))
    assert info.value.code == code
    with pytest.raises(PaymentDeclined):  # the same key: the same answer, one ledger entry
        sandbox.authorize(auth(number))
    assert [c["outcome"] for c in list_charges(sandbox._ledger, "o1")] == ["declined"]


def test_processing_error_card_is_transient_and_leaves_no_entry(sandbox: SandboxProvider) -> None:
    with pytest.raises(TransientProviderError):
        sandbox.authorize(auth(PROCESSING_ERROR_CARD))
    assert list_charges(sandbox._ledger, "o1") == []


def test_same_idempotency_key_charges_once(sandbox: SandboxProvider) -> None:
    first = sandbox.authorize(auth("4242424242424242"))
    assert sandbox.authorize(auth("4242424242424242")).authorization_id == first.authorization_id
    ref = sandbox.capture(
        order_id="o1", authorization_id=first.authorization_id, amount=TEN, idempotency_key="c"
    )
    again = sandbox.capture(
        order_id="o1", authorization_id=first.authorization_id, amount=TEN, idempotency_key="c"
    )
    assert ref == again
    charges = list_charges(sandbox._ledger, "o1")
    assert [c["operation"] for c in charges] == ["authorize", "capture"]
    assert charges[1] | {"at": None, "reference": None} == {
        "provider": "sandbox",
        "operation": "capture",
        "orderId": "o1",
        "amount": {"amount": "10.00", "currency": "USD"},
        "idempotencyKey": "c",
        "at": None,
        "outcome": "approved",
        "reference": None,
    }


def test_capture_and_refund_limits(sandbox: SandboxProvider) -> None:
    a = sandbox.authorize(auth("4242424242424242")).authorization_id
    with pytest.raises(InvalidProviderRequest):
        sandbox.capture(
            order_id="o1", authorization_id=a, amount=Money.of("10.01", "USD"), idempotency_key="c0"
        )
    sandbox.capture(order_id="o1", authorization_id=a, amount=TEN, idempotency_key="c1")
    with pytest.raises(InvalidProviderRequest):
        sandbox.void(order_id="o1", authorization_id=a, idempotency_key="v")
    sandbox.refund(order_id="o1", authorization_id=a, amount=Money.of("4.00", "USD"), idempotency_key="r1")
    with pytest.raises(InvalidProviderRequest):
        sandbox.refund(
            order_id="o1", authorization_id=a, amount=Money.of("6.01", "USD"), idempotency_key="r2"
        )
    sandbox.refund(order_id="o1", authorization_id=a, amount=Money.of("6.00", "USD"), idempotency_key="r3")


def test_voided_authorization_cannot_be_captured(sandbox: SandboxProvider) -> None:
    a = sandbox.authorize(auth("4242424242424242")).authorization_id
    sandbox.void(order_id="o1", authorization_id=a, idempotency_key="v")
    with pytest.raises(InvalidProviderRequest):
        sandbox.capture(order_id="o1", authorization_id=a, amount=TEN, idempotency_key="c")
    with pytest.raises(InvalidProviderRequest):
        sandbox.capture(
            order_id="o1", authorization_id="sandbox:authorize:nope", amount=TEN, idempotency_key="c"
        )


def test_ledger_filter_by_order(sandbox: SandboxProvider) -> None:
    sandbox.authorize(auth("4242424242424242", order="o1", key="o1:authorize"))
    sandbox.authorize(auth("4242424242424242", order="o2", key="o2:authorize"))
    assert {c["orderId"] for c in list_charges(sandbox._ledger)} == {"o1", "o2"}
    assert [c["orderId"] for c in list_charges(sandbox._ledger, "o2")] == ["o2"]
