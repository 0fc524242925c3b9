"""Payment operations end to end over SQLite: ledger, projection, events, idempotency."""

from __future__ import annotations

import threading

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.http.auth import Principal
from shared.kernel.errors import Conflict, NotFound, ServiceUnavailable
from shared.kernel.money import Money
from shared.messaging.outbox import PENDING
from shared.payments.cards import CardDetails
from shared.payments.ledger import PaymentLedger, payments_container
from shared.payments.ports import Authorization, AuthorizeRequest, PaymentProvider
from shared.payments.sandbox import list_charges, sandbox_container
from shared.payments.service import PaymentService
from tests.integration.payments.conftest import card_token

AMOUNT = Money.of("30.00", "USD")


def authorize(service: PaymentService, number: str, order: str = "o1") -> str:
    token = card_token(service, number)
    return service.authorize(order_id=order, customer_id="cust-1", token=token, amount=AMOUNT).status


def charges(store: SqliteDocumentStore, order: str = "o1") -> list[tuple[str, str]]:
    return [(c["provider"], c["operation"]) for c in list_charges(sandbox_container(store), order)]


def events(store: SqliteDocumentStore) -> list[str]:
    return [d["_outbox"]["event"]["type"] for d in payments_container(store).query_all(PENDING)]


def test_authorize_capture_refund_lifecycle(service: PaymentService, store: SqliteDocumentStore) -> None:
    assert authorize(service, "4242424242424242") == "authorized"
    assert service.capture(order_id="o1").status == "captured"
    payment, refund = service.refund(
        order_id="o1", refund_id="r1", amount=Money.of("10.00", "USD"), reason="dent"
    )
    assert payment.status == "partially_refunded" and payment.refunded_amount == Money.of("10.00", "USD")
    assert refund.amount == Money.of("10.00", "USD")
    with pytest.raises(Conflict) as info:
        service.refund(order_id="o1", refund_id="r2", amount=Money.of("20.01", "USD"), reason="too much")
    assert info.value.code == "refund_exceeds_captured"
    payment, _ = service.refund(order_id="o1", refund_id="r3", amount=None, reason="the rest")
    assert payment.status == "refunded" and payment.refunded_amount == AMOUNT
    assert events(store) == ["PaymentAuthorized", "PaymentCaptured", "PaymentRefunded", "PaymentRefunded"]
    assert charges(store) == [
        ("sandbox", "authorize"),
        ("sandbox", "capture"),
        ("sandbox", "refund"),
        ("sandbox", "refund"),
    ]
    # The document is the ledger's projection: replaying the entries gives the same payment.
    assert service.ledger.replay("o1") == payment


def test_every_step_is_idempotent(service: PaymentService, store: SqliteDocumentStore) -> None:
    token = card_token(service, "4242424242424242")
    for _ in range(2):
        service.authorize(order_id="o1", customer_id="cust-1", token=token, amount=AMOUNT)
        service.capture(order_id="o1")
        service.refund(order_id="o1", refund_id="r1", amount=Money.of("5.00", "USD"), reason="x")
    assert charges(store) == [("sandbox", "authorize"), ("sandbox", "capture"), ("sandbox", "refund")]
    kinds = [e["kind"] for e in service.ledger.entries("o1")]
    assert kinds == ["authorized", "captured", "refund_requested", "refunded"]


def test_concurrent_refunds_never_exceed_the_capture(
    service: PaymentService, store: SqliteDocumentStore
) -> None:
    authorize(service, "4242424242424242")
    service.capture(order_id="o1")
    outcomes: list[str] = []

    def refund(n: int) -> None:
        try:
            service.refund(order_id="o1", refund_id=f"r{n}", amount=Money.of("20.00", "USD"), reason="x")
            outcomes.append("ok")
        except Conflict as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=refund, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(outcomes) == [
        "ok",
        "refund_exceeds_captured",
        "refund_exceeds_captured",
        "refund_exceeds_captured",
    ]
    assert charges(store).count(("sandbox", "refund")) == 1
    payment = service.find("o1")
    assert (
        payment is not None
        and payment.refunded_amount == Money.of("20.00", "USD")
        and not payment.pending_refunds
    )


def test_refund_refused_by_the_provider_is_409_and_releases_the_hold(
    service: PaymentService, store: SqliteDocumentStore
) -> None:
    authorize(service, "4242424242424242")
    payment = service.capture(order_id="o1")
    # Someone refunded at the provider behind our back: the provider now refuses more than the rest.
    service.router.refund(
        "sandbox",
        order_id="o1",
        authorization_id=payment.authorization_id or "",
        amount=Money.of("25.00", "USD"),
        key="outside",
    )
    with pytest.raises(Conflict) as info:
        service.refund(order_id="o1", refund_id="r1", amount=Money.of("10.00", "USD"), reason="x")
    assert info.value.code == "refund_refused"
    after = service.find("o1")
    assert after is not None and after.pending_refunds == [] and after.refunded_amount.is_zero()
    assert [e["kind"] for e in service.ledger.entries("o1")][-2:] == ["refund_requested", "refund_failed"]


def test_crash_after_provider_call_is_repaired_without_a_second_charge(
    service: PaymentService, store: SqliteDocumentStore
) -> None:
    authorize(service, "4242424242424242")
    payment = service.find("o1")
    assert payment is not None and payment.authorization_id
    # The provider captured, then the process died before the ledger write: run the step again.
    service.router.capture(
        "sandbox", order_id="o1", authorization_id=payment.authorization_id, amount=AMOUNT, key="o1:capture"
    )
    assert service.capture(order_id="o1").status == "captured"
    assert charges(store).count(("sandbox", "capture")) == 1


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        ("4000000000000002", "declined", "card_declined"),
        ("4000000000009995", "declined", "insufficient_funds"),
    ],
)
def test_declines_are_recorded(
    service: PaymentService, store: SqliteDocumentStore, number: str, status: str, code: str
) -> None:
    assert authorize(service, number) == status
    payment = service.find("o1")
    assert payment is not None and payment.failure_code == code
    assert events(store) == ["PaymentFailed"]
    with pytest.raises(Conflict):
        service.capture(order_id="o1")


def test_processing_error_goes_to_the_fallback_provider(
    service: PaymentService, store: SqliteDocumentStore
) -> None:
    assert authorize(service, "4000000000000119") == "authorized"
    assert service.capture(order_id="o1").provider == "sandbox-fallback"
    assert charges(store) == [("sandbox-fallback", "authorize"), ("sandbox-fallback", "capture")]


def test_a_refund_the_provider_never_took_frees_its_amount(
    service: PaymentService, store: SqliteDocumentStore
) -> None:
    """The provider is down through every retry of a refund: 503, and nothing stays pending, so a
    later refund (under another key) can still give back everything that was captured."""
    authorize(service, "4242424242424242")
    service.capture(order_id="o1")
    service.router.providers[0].outage_calls = service.router.attempts  # type: ignore[attr-defined]
    with pytest.raises(ServiceUnavailable) as info:
        service.refund(order_id="o1", refund_id="r1", amount=Money.of("5.00", "USD"), reason="dent")
    assert info.value.status == 503
    payment = service.find("o1")
    assert payment is not None and payment.pending_refunds == [] and payment.refundable() == AMOUNT
    payment, refund = service.refund(order_id="o1", refund_id="r2", amount=None, reason="all")
    assert refund.amount == AMOUNT and payment.status == "refunded"
    assert charges(store).count(("sandbox", "refund")) == 1
    assert service.ledger.replay("o1") == payment


class GivesUpMeanwhile(PaymentProvider):
    """The sandbox, but while it refunds, a concurrent attempt with the same key gives up on that
    refund (records it failed), as one whose provider call timed out would."""

    def __init__(self, inner: PaymentProvider, ledger: PaymentLedger) -> None:
        self.name, self.inner, self.ledger = inner.name, inner, ledger

    def authorize(self, request: AuthorizeRequest) -> Authorization:
        return self.inner.authorize(request)

    def capture(self, *, order_id: str, authorization_id: str, amount: Money, idempotency_key: str) -> str:
        return self.inner.capture(
            order_id=order_id,
            authorization_id=authorization_id,
            amount=amount,
            idempotency_key=idempotency_key,
        )

    def void(self, *, order_id: str, authorization_id: str, idempotency_key: str) -> str:
        return self.inner.void(
            order_id=order_id, authorization_id=authorization_id, idempotency_key=idempotency_key
        )

    def refund(self, *, order_id: str, authorization_id: str, amount: Money, idempotency_key: str) -> str:
        stored = self.ledger.load(order_id)
        assert stored is not None
        refund_id = idempotency_key.rsplit(":", 1)[-1]
        self.ledger.append(
            stored, "refund_failed", {"refundId": refund_id}, "2026-11-25T00:00:00+00:00", None
        )
        return self.inner.refund(
            order_id=order_id,
            authorization_id=authorization_id,
            amount=amount,
            idempotency_key=idempotency_key,
        )


def test_a_refund_the_provider_made_is_recorded_though_a_concurrent_attempt_gave_up(
    service: PaymentService, store: SqliteDocumentStore
) -> None:
    authorize(service, "4242424242424242")
    service.capture(order_id="o1")
    service.router.providers[0] = GivesUpMeanwhile(service.router.providers[0], service.ledger)
    payment, _ = service.refund(order_id="o1", refund_id="r1", amount=Money.of("5.00", "USD"), reason="x")
    assert charges(store).count(("sandbox", "refund")) == 1  # the money went back: the ledger says so
    assert payment.refunded_amount == Money.of("5.00", "USD") and payment.refund("r1") is not None
    assert service.ledger.replay("o1") == payment


def test_crash_after_a_fallback_authorization_goes_back_to_the_fallback(
    service: PaymentService, store: SqliteDocumentStore
) -> None:
    """The primary was down, the fallback authorized, the process died before the ledger write;
    the retried step, with the primary healthy again, must not put a second hold on the card."""
    primary = service.router.providers[0]
    primary.outage_calls = service.router.attempts  # type: ignore[attr-defined]
    request = AuthorizeRequest(
        order_id="o1",
        amount=AMOUNT,
        card=CardDetails(number="4242424242424242", exp_month=12, exp_year=2031),
        idempotency_key="o1:authorize",
    )
    assert service.router.authorize(request).provider == "sandbox-fallback"  # then the crash
    assert authorize(service, "4242424242424242") == "authorized"
    assert service.capture(order_id="o1").provider == "sandbox-fallback"
    assert charges(store) == [("sandbox-fallback", "authorize"), ("sandbox-fallback", "capture")]


def test_every_provider_down_fails_the_payment(service: PaymentService) -> None:
    for provider in service.router.providers:
        provider.outage_calls = 10  # type: ignore[attr-defined]
    assert authorize(service, "4242424242424242") == "failed"
    payment = service.find("o1")
    assert payment is not None and payment.failure_code == "provider_unavailable"


def test_release_voids_or_refunds(service: PaymentService, store: SqliteDocumentStore) -> None:
    authorize(service, "4242424242424242", order="o1")
    released = service.release(order_id="o1", refund_id="cancel", reason="cancelled")
    assert released is not None and released.status == "voided"
    authorize(service, "4242424242424242", order="o2")
    service.capture(order_id="o2")
    released = service.release(order_id="o2", refund_id="cancel", reason="cancelled")
    assert released is not None and released.status == "refunded"
    assert service.release(order_id="o3", refund_id="cancel", reason="none") is None
    assert charges(store, "o1") == [("sandbox", "authorize"), ("sandbox", "void")]


def test_unknown_token_fails_without_a_provider_call(
    service: PaymentService, store: SqliteDocumentStore
) -> None:
    payment = service.authorize(order_id="o1", customer_id="cust-1", token="tok_nope", amount=AMOUNT)
    assert (payment.status, payment.failure_code) == ("failed", "unknown_payment_token")
    assert charges(store) == []


def test_get_is_for_owner_and_staff(service: PaymentService) -> None:
    authorize(service, "4242424242424242")
    owner = Principal(sub="cust-1", roles=("customer",))
    assert service.get("pay_o1", owner).last4 == "4242"
    assert service.get("pay_o1", Principal(sub="s", roles=("support",))).order_id == "o1"
    for who, pid in (
        (Principal(sub="other", roles=("customer",)), "pay_o1"),
        (owner, "pay_zz"),
        (owner, "x"),
    ):
        with pytest.raises(NotFound):
            service.get(pid, who)


def test_no_card_number_in_events_or_documents(service: PaymentService, store: SqliteDocumentStore) -> None:
    authorize(service, "4000000000004954")
    service.capture(order_id="o1")
    everything = str(payments_container(store).query_all(PENDING)) + str(
        list_charges(sandbox_container(store))
    )
    assert "4000000000004954" not in everything
