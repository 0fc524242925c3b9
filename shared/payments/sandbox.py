"""The deterministic sandbox providers and their own ledger ("what the bank was asked").

Behaviour is decided by the card number (API.md's test cards). Each accepted request is written to
the `sandbox_charges` container under the id `<provider>:<operation>:<idempotency key>`; a repeat
of a key finds that entry and returns its result without a second entry, exactly like a real
processor's idempotency. The ledger is persisted (not in memory) so a double charge caused by a
crash and replay is visible from outside, at `GET /api/dev/sandbox/charges`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.kernel.money import Money
from shared.payments.ports import (
    Authorization,
    AuthorizeRequest,
    InvalidProviderRequest,
    PaymentDeclined,
    PaymentProvider,
    RiskSignal,
    TransientProviderError,
)
from shared.ports.documents import Container, DocumentExists, DocumentNotFound, DocumentStore, Filter, Query

CONTAINER = "sandbox_charges"
PROCESSING_ERROR_CARD = "4000000000000119"


@dataclass(frozen=True)
class CardBehaviour:
    decline: str | None = None
    risk: RiskSignal = "normal"


TEST_CARDS: dict[str, CardBehaviour] = {
    "4242424242424242": CardBehaviour(),
    "4000000000000002": CardBehaviour(decline="card_declined"),
    "4000000000009995": CardBehaviour(decline="insufficient_funds"),
    "4000000000004954": CardBehaviour(risk="highest"),
    "4100000000000019": CardBehaviour(risk="blocked"),
}


def sandbox_container(store: DocumentStore) -> Container:
    return store.container(CONTAINER, "/orderId", indexes=("at",))


class SandboxProvider(PaymentProvider):
    """`transient_cards` answer with a processing error on every authorize (the primary sandbox
    has the 0119 card there; the fallback has none). `outage()` makes every call transient, for
    tests of retries and routing."""

    def __init__(
        self,
        name: str,
        ledger: Container,
        *,
        transient_cards: frozenset[str] = frozenset(),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.name = name
        self._ledger = ledger
        self._transient_cards = transient_cards
        self._clock = clock
        self.outage_calls = 0  # the next N calls fail transiently (test knob)

    def _maybe_outage(self) -> None:
        if self.outage_calls > 0:
            self.outage_calls -= 1
            raise TransientProviderError(f"{self.name}: service temporarily unavailable")

    def _entry_id(self, operation: str, key: str) -> str:
        return f"{self.name}:{operation}:{key}"

    def _existing(self, operation: str, order_id: str, key: str) -> dict[str, Any] | None:
        try:
            return self._ledger.read(self._entry_id(operation, key), order_id)
        except DocumentNotFound:
            return None

    def _record(
        self, operation: str, order_id: str, key: str, amount: Money | None, **extra: Any
    ) -> dict[str, Any]:
        entry = {
            "id": self._entry_id(operation, key),
            "provider": self.name,
            "operation": operation,
            "orderId": order_id,
            "amount": amount.model_dump(mode="json") if amount else None,
            "idempotencyKey": key,
            "at": self._clock().isoformat(),
            "reference": f"{self.name}_{operation[:3]}_{uuid.uuid4().hex[:16]}",
            **extra,
        }
        try:
            return self._ledger.create(entry)
        except DocumentExists:  # a concurrent duplicate of this very request won: same answer
            return self._ledger.read(entry["id"], order_id)

    def _entries(self, order_id: str, operation: str) -> list[dict[str, Any]]:
        query = Query(where=(Filter("operation", "=", operation), Filter("provider", "=", self.name)))
        return self._ledger.query_all(query, partition_key=order_id)

    def has_authorization(self, request: AuthorizeRequest) -> bool:
        return self._existing("authorize", request.order_id, request.idempotency_key) is not None

    def authorize(self, request: AuthorizeRequest) -> Authorization:
        self._maybe_outage()
        found = self._existing("authorize", request.order_id, request.idempotency_key)
        if found is None:
            if request.card.number in self._transient_cards:
                raise TransientProviderError(f"{self.name}: processing error")
            behaviour = TEST_CARDS.get(request.card.number, CardBehaviour())
            outcome = "declined" if behaviour.decline else "approved"
            found = self._record(
                "authorize",
                request.order_id,
                request.idempotency_key,
                request.amount,
                outcome=outcome,
                declineCode=behaviour.decline,
                riskSignal=behaviour.risk,
            )
        if found["outcome"] == "declined":
            raise PaymentDeclined(found["declineCode"])
        return Authorization(
            provider=self.name, authorization_id=found["id"], risk_signal=found["riskSignal"]
        )

    def _authorization(self, order_id: str, authorization_id: str) -> dict[str, Any]:
        try:
            auth = self._ledger.read(authorization_id, order_id)
        except DocumentNotFound:
            raise InvalidProviderRequest("unknown authorization") from None
        if auth["outcome"] != "approved":
            raise InvalidProviderRequest("the authorization was declined")
        return auth

    @staticmethod
    def _total(entries: list[dict[str, Any]]) -> Any:
        return sum((Money.model_validate(e["amount"]).amount for e in entries), start=0)

    def capture(self, *, order_id: str, authorization_id: str, amount: Money, idempotency_key: str) -> str:
        self._maybe_outage()
        found = self._existing("capture", order_id, idempotency_key)
        if found is None:
            auth = self._authorization(order_id, authorization_id)
            if self._entries(order_id, "void"):
                raise InvalidProviderRequest("the authorization was voided")
            held = Money.model_validate(auth["amount"]).amount
            if self._total(self._entries(order_id, "capture")) + amount.amount > held:
                raise InvalidProviderRequest("capture above the authorized amount")
            found = self._record("capture", order_id, idempotency_key, amount, outcome="approved")
        return str(found["reference"])

    def void(self, *, order_id: str, authorization_id: str, idempotency_key: str) -> str:
        self._maybe_outage()
        found = self._existing("void", order_id, idempotency_key)
        if found is None:
            self._authorization(order_id, authorization_id)
            if self._entries(order_id, "capture"):
                raise InvalidProviderRequest("a captured authorization cannot be voided; refund it")
            found = self._record("void", order_id, idempotency_key, None, outcome="approved")
        return str(found["reference"])

    def refund(self, *, order_id: str, authorization_id: str, amount: Money, idempotency_key: str) -> str:
        self._maybe_outage()
        found = self._existing("refund", order_id, idempotency_key)
        if found is None:
            self._authorization(order_id, authorization_id)
            captured = self._total(self._entries(order_id, "capture"))
            if self._total(self._entries(order_id, "refund")) + amount.amount > captured:
                raise InvalidProviderRequest("refund above the captured amount")
            found = self._record("refund", order_id, idempotency_key, amount, outcome="approved")
        return str(found["reference"])


def list_charges(ledger: Container, order_id: str | None = None) -> list[dict[str, Any]]:
    """The ledger, oldest first (optionally one order's), as GET /dev/sandbox/charges serves it."""
    query = Query(order_by=(("at", "asc"),))
    items = ledger.query_all(query, partition_key=order_id) if order_id else ledger.query_all(query)
    fields = ("provider", "operation", "orderId", "amount", "idempotencyKey", "at", "outcome", "reference")
    return [{k: item.get(k) for k in fields} for item in items]
