"""Fraud monitoring: every `OrderCreated` and `PaymentAuthorized` event is scored again, off the
order's critical path, and the score is recorded (container `fraud-scores`, one document per event).

Why score again when the workflow already did: the recorded scores show how the live model sees
traffic over time (drift, score distribution per model version), and a `PaymentAuthorized` score
includes the provider's risk signal that the `OrderCreated` one could not know yet.

The input is what the workflow's own check uses (`shared.orders.risk.fraud_input`, from the order's
stream and the customer's order history), with the provider signal read from the payment itself
(the order's stream may not show it yet when the payment event arrives). Delivery is at least
once: the handler dedupes on the CloudEvent id (`shared.messaging.inbox.processed_once`), and the record's
id is the event id, so even a redelivery racing the inbox marker writes one document.
"""

from __future__ import annotations

import logging
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any

from shared.fraud.model import FraudAssessment, FraudInput
from shared.fraud.ports import FraudScorer
from shared.messaging.events import CloudEvent
from shared.messaging.inbox import processed_once
from shared.orders.deps import OrderDeps
from shared.orders.model import OrderState
from shared.orders.risk import fraud_input
from shared.ports.documents import Container, DocumentExists, DocumentStore, Filter, Query

log = logging.getLogger("smartcommerce.fraud.monitoring")

SCORES_CONTAINER = "fraud-scores"
PARTITION_KEY = "/orderId"
MONITORED_EVENTS = ("OrderCreated", "PaymentAuthorized")
HANDLER = "fraud.monitoring"


def scores_container(store: DocumentStore) -> Container:
    return store.container(SCORES_CONTAINER, PARTITION_KEY, indexes=("docType", "scoredAt"))


def safe_id(value: str) -> str:
    # Cosmos ids may not contain / \ ? #; event ids are UUIDs, but be safe with foreign ones.
    return "".join("_" if c in "/\\?#" else c for c in value)[:255]


def order_id_of(event: CloudEvent) -> str | None:
    value = event.data.get("orderId") or (event.data.get("order") or {}).get("id")
    return str(value) if value else None


def load_order(deps: OrderDeps, order_id: str) -> OrderState | None:
    loaded = deps.stream.load(order_id)
    return loaded.state if loaded is not None else None


def order_fraud_input(deps: OrderDeps, state: OrderState) -> FraudInput:
    """What the workflow's check sees, with the provider signal from the payment when there is one."""
    txn = fraud_input(deps, state)
    payment = deps.payments.find(state.id)
    signal = payment.risk_signal if payment is not None else None
    if signal in ("normal", "elevated", "highest", "blocked") and signal != txn.provider_signal:
        txn = txn.model_copy(update={"provider_signal": signal})
    return txn


def score_record(
    event: CloudEvent, order_id: str, txn: FraudInput, result: FraudAssessment
) -> dict[str, Any]:
    return {
        "id": safe_id(event.id),
        "docType": "fraudScore",
        "orderId": order_id,
        "eventId": event.id,
        "eventType": event.type,
        "score": result.score,
        "decision": result.decision,
        "reasons": list(result.reasons),
        "modelVersion": result.model_version,
        "input": txn.model_dump(mode="json", by_alias=True),
        "scoredAt": datetime.now(UTC).isoformat(),
    }


def score_event(event: CloudEvent, *, deps: OrderDeps, scorer: FraudScorer) -> dict[str, Any] | None:
    """Score one monitored event and record it; the record, or None when there is nothing to score
    (another event type, an unknown order, or an event already handled)."""
    if event.type not in MONITORED_EVENTS:
        return None
    order_id = order_id_of(event)
    with processed_once(event.id, HANDLER, store=deps.store) as first:
        if not first:
            return None
        state = load_order(deps, order_id) if order_id else None
        if order_id is None or state is None:
            # Nothing to score; acknowledged (a retry would not make the order appear).
            log.warning("fraud monitoring: %s %s names no known order", event.type, event.id)
            return None
        txn = order_fraud_input(deps, state)
        record = score_record(event, order_id, txn, scorer.score(txn))
        with suppress(DocumentExists):  # a concurrent delivery recorded it first
            scores_container(deps.store).create(record)
        return record


def scores_for_order(store: DocumentStore, order_id: str) -> list[dict[str, Any]]:
    """The recorded monitoring scores of one order, oldest first."""
    query = Query(where=(Filter("docType", "=", "fraudScore"),), order_by=(("scoredAt", "asc"),))
    return scores_container(store).query_all(query, partition_key=order_id)
