"""Refunds of a captured payment: recorded as pending, sent to the provider, recorded as done.

The pending record counts against the refundable amount under the ledger's optimistic
concurrency, so two concurrent refunds can never together exceed the captured amount; the
provider call carries `<orderId>:refund:<refundId>`, so a retry after a crash refunds once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from shared.kernel.errors import Conflict, ServiceUnavailable, ValidationFailed
from shared.kernel.money import Money
from shared.payments.ledger import LedgerConflict, PaymentLedger, Stored
from shared.payments.model import Payment, PaymentRefunded, RefundRecord
from shared.payments.ports import InvalidProviderRequest, TransientProviderError
from shared.payments.routing import PaymentRouter
from shared.storage.retry import retry_on_conflict

MAX_ROUNDS = 20
T = TypeVar("T")


def _on_the_ledger(attempt: Callable[[], T], order_id: str) -> T:
    """Run a read-decide-append step until its append wins (another append first: decide again)."""

    def exhausted() -> T:
        raise Conflict(f"payment of order {order_id} kept changing; try again", code="concurrent_update")

    return retry_on_conflict(
        attempt, attempts=MAX_ROUNDS, backoff=False, conflicts=(LedgerConflict,), exhausted=exhausted
    )


class RefundFlow:
    def __init__(self, ledger: PaymentLedger, router: PaymentRouter, now: Callable[[], str]) -> None:
        self.ledger = ledger
        self.router = router
        self._now = now

    def _load(self, order_id: str) -> Stored:
        stored = self.ledger.load(order_id)
        if stored is None:
            raise Conflict(f"order {order_id} has no payment", code="no_payment")
        return stored

    def refund(
        self, *, order_id: str, refund_id: str, amount: Money | None, reason: str
    ) -> tuple[Payment, RefundRecord]:
        """Refund `amount` (None: all that is left). 409 beyond the captured amount.

        The refund is first recorded as pending (counted against the refundable amount, under the
        ledger's optimistic concurrency), then sent to the provider, then recorded as done: two
        concurrent refunds can never together exceed the captured amount."""
        stored, record = self._request(order_id, refund_id, amount, reason)
        payment = stored.payment
        if payment.refund(refund_id) is not None:
            return payment, record
        try:
            reference = self.router.refund(
                payment.provider or "",
                order_id=order_id,
                authorization_id=payment.authorization_id or "",
                amount=record.amount,
                key=f"{order_id}:refund:{refund_id}",
            )
        except InvalidProviderRequest as exc:
            self._finish(order_id, refund_id, "refund_failed", {"refundId": refund_id}, lambda p: None)
            raise Conflict(f"the provider refused the refund: {exc}", code="refund_refused") from exc
        except TransientProviderError as exc:
            # Nothing happened at the provider (the port's promise): drop the pending record, or it
            # would count against the refundable amount for good unless the same key came back.
            self._finish(order_id, refund_id, "refund_failed", {"refundId": refund_id}, lambda p: None)
            raise ServiceUnavailable(
                "the payment provider is unavailable; try again", code="provider_unavailable"
            ) from exc
        data = {**record.model_dump(mode="json", by_alias=True), "reference": reference}

        def event(p: Payment) -> PaymentRefunded:
            return PaymentRefunded(
                payment_id=p.id,
                order_id=order_id,
                refund_id=refund_id,
                amount=record.amount,
                refunded_amount=p.refunded_amount + record.amount,
            )

        after = self._finish(order_id, refund_id, "refunded", data, event)
        return after, after.refund(refund_id) or record

    def _request(
        self, order_id: str, refund_id: str, amount: Money | None, reason: str
    ) -> tuple[Stored, RefundRecord]:

        def attempt() -> tuple[Stored, RefundRecord]:
            stored = self._load(order_id)
            payment = stored.payment
            known = payment.refund(refund_id) or payment.pending_refund(refund_id)
            if known is not None:  # a repeat, or a retry after a crash mid-refund
                return stored, known
            if payment.status not in ("captured", "partially_refunded") or not payment.provider:
                raise Conflict(
                    f"payment {payment.id} is {payment.status}; nothing to refund", code="nothing_to_refund"
                )
            left = payment.refundable()
            if amount is not None and amount.currency != left.currency:
                raise ValidationFailed.field(
                    "amount.currency", f"must be {left.currency}", code="currency_mismatch"
                )
            value = amount if amount is not None else left
            if value.is_zero() or value > left:
                raise Conflict(
                    f"refund of {value} exceeds the refundable {left}", code="refund_exceeds_captured"
                )
            record = RefundRecord(refund_id=refund_id, amount=value, reason=reason, at=self._now())
            data = record.model_dump(mode="json", by_alias=True)
            return self.ledger.append(stored, "refund_requested", data, record.at, None), record

        return _on_the_ledger(attempt, order_id)

    def _finish(
        self, order_id: str, refund_id: str, kind: Any, data: dict[str, Any], event: Callable[[Payment], Any]
    ) -> Payment:

        def attempt() -> Payment:
            stored = self._load(order_id)
            payment = stored.payment
            # Finished already by another attempt. A refund the provider made is recorded even if
            # a concurrent attempt with the same key gave up on it meanwhile: the money went back.
            if payment.refund(refund_id) is not None or (
                kind != "refunded" and payment.pending_refund(refund_id) is None
            ):
                return payment
            return self.ledger.append(stored, kind, data, self._now(), event(stored.payment)).payment

        return _on_the_ledger(attempt, order_id)
