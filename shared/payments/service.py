"""Payment operations: the provider call, then the ledger entry that records its result.

Every operation is idempotent: it first looks at the projection (already captured? nothing to do),
and the provider call carries a key derived from the order (`<orderId>:capture`), so a crash
between the provider call and the ledger write is repaired by simply running the operation again:
the provider answers the first result and the ledger records it once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from shared.kernel.errors import Conflict, NotFound
from shared.kernel.identity import Principal, ensure_owner
from shared.kernel.money import Money
from shared.payments.ledger import LedgerConflict, PaymentLedger, Stored
from shared.payments.model import (
    Payment,
    PaymentAuthorized,
    PaymentCaptured,
    PaymentFailed,
    PaymentVoided,
    RefundRecord,
    order_id_of,
    payment_id_for,
)
from shared.payments.ports import (
    AuthorizeRequest,
    PaymentDeclined,
    ProviderUnavailable,
)
from shared.payments.refunds import RefundFlow
from shared.payments.routing import PaymentRouter
from shared.payments.vault import CardVault

log = logging.getLogger("smartcommerce.payments")
CAPTURED = ("captured", "partially_refunded", "refunded")


class PaymentService:
    def __init__(
        self,
        *,
        ledger: PaymentLedger,
        vault: CardVault,
        router: PaymentRouter,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.ledger = ledger
        self.vault = vault
        self.router = router
        self._clock = clock

    def _now(self) -> str:
        return self._clock().isoformat()

    def _load(self, order_id: str) -> Stored:
        stored = self.ledger.load(order_id)
        if stored is None:
            raise Conflict(f"order {order_id} has no payment", code="no_payment")
        return stored

    def get(self, payment_id: str, principal: Principal) -> Payment:
        order_id = order_id_of(payment_id)
        stored = self.ledger.load(order_id) if order_id else None
        if stored is None:
            raise NotFound("the payment does not exist")
        ensure_owner(principal, stored.payment.customer_id)
        return stored.payment

    def find(self, order_id: str) -> Payment | None:
        stored = self.ledger.load(order_id)
        return stored.payment if stored else None

    # --- authorize ----------------------------------------------------------------------------
    def authorize(self, *, order_id: str, customer_id: str, token: str, amount: Money) -> Payment:
        """Hold the order's amount; a decline or an unavailable provider is recorded, not raised."""
        stored = self.ledger.load(order_id)
        if stored is not None:
            return stored.payment  # decided before (a retried or replayed step)
        now = self._now()
        zero = Money.zero(amount.currency)
        try:
            card_info = self.vault.describe(token, customer_id)
        except NotFound:
            card_info = {"last4": "", "brand": "unknown"}
        initial = Payment(
            id=payment_id_for(order_id),
            order_id=order_id,
            customer_id=customer_id,
            amount=amount,
            captured_amount=zero,
            refunded_amount=zero,
            last4=card_info["last4"],
            brand=card_info["brand"],
            created_at=now,
            updated_at=now,
        )
        base: dict[str, Any] = {"initial": initial.model_dump(mode="json", by_alias=True)}
        if not card_info["last4"]:
            return self._record_failure(initial, base, "failed", "unknown_payment_token", now)
        card = self.vault.reveal(token, customer_id)
        request = AuthorizeRequest(
            order_id=order_id, amount=amount, card=card, idempotency_key=f"{order_id}:authorize"
        )
        try:
            auth = self.router.authorize(request)
        except PaymentDeclined as declined:
            return self._record_failure(initial, base, "declined", declined.code, now)
        except ProviderUnavailable:
            return self._record_failure(initial, base, "failed", "provider_unavailable", now)
        data = {
            **base,
            "provider": auth.provider,
            "authorizationId": auth.authorization_id,
            "riskSignal": auth.risk_signal,
        }
        event = PaymentAuthorized(
            payment_id=initial.id, order_id=order_id, amount=amount, provider=auth.provider
        )
        return self._append(Stored(initial, None), "authorized", data, now, event).payment

    def _record_failure(
        self, initial: Payment, base: dict[str, Any], status: str, code: str, now: str
    ) -> Payment:
        event = PaymentFailed(payment_id=initial.id, order_id=initial.order_id, status=status, code=code)
        data = {**base, "status": status, "code": code}
        return self._append(Stored(initial, None), "failed", data, now, event).payment

    def _append(self, current: Stored, kind: Any, data: dict[str, Any], at: str, event: Any) -> Stored:
        try:
            return self.ledger.append(current, kind, data, at, event)
        except LedgerConflict:
            # Another worker recorded this step first (same provider key, so the same outcome).
            reloaded = self.ledger.load(current.payment.order_id)
            if reloaded is None:
                raise
            return reloaded

    # --- capture / void / refund ----------------------------------------------------------------
    def capture(self, *, order_id: str) -> Payment:
        stored = self._load(order_id)
        payment = stored.payment
        if payment.status in CAPTURED:
            return payment
        if payment.status != "authorized" or not payment.provider or not payment.authorization_id:
            raise Conflict(
                f"payment {payment.id} is {payment.status}; it cannot be captured",
                code="invalid_payment_state",
            )
        reference = self.router.capture(
            payment.provider,
            order_id=order_id,
            authorization_id=payment.authorization_id,
            amount=payment.amount,
            key=f"{order_id}:capture",
        )
        event = PaymentCaptured(payment_id=payment.id, order_id=order_id, amount=payment.amount)
        data = {"amount": payment.amount.model_dump(mode="json"), "reference": reference}
        return self._append(stored, "captured", data, self._now(), event).payment

    def void(self, *, order_id: str) -> Payment:
        stored = self._load(order_id)
        payment = stored.payment
        if payment.status != "authorized" or not payment.provider or not payment.authorization_id:
            return payment  # voided already, declined, or never authorized: nothing is held
        reference = self.router.void(
            payment.provider,
            order_id=order_id,
            authorization_id=payment.authorization_id,
            key=f"{order_id}:void",
        )
        event = PaymentVoided(payment_id=payment.id, order_id=order_id)
        return self._append(stored, "voided", {"reference": reference}, self._now(), event).payment

    def refund(
        self, *, order_id: str, refund_id: str, amount: Money | None, reason: str
    ) -> tuple[Payment, RefundRecord]:
        """Refund `amount` (None: all that is left). 409 beyond the captured amount (refunds.py)."""
        flow = RefundFlow(self.ledger, self.router, self._now)
        return flow.refund(order_id=order_id, refund_id=refund_id, amount=amount, reason=reason)

    def release(self, *, order_id: str, refund_id: str, reason: str) -> Payment | None:
        """Undo whatever the order's payment holds: void an authorization, refund a capture."""
        stored = self.ledger.load(order_id)
        if stored is None:
            return None
        if stored.payment.status == "authorized":
            return self.void(order_id=order_id)
        if stored.payment.status in ("captured", "partially_refunded"):
            return self.refund(order_id=order_id, refund_id=refund_id, amount=None, reason=reason)[0]
        return stored.payment
