"""Fraud labels for retraining: what people and banks later said about an order.

- A review outcome: an order a person approved (`OrderConfirmed` after review) is labelled
  legitimate, one a person rejected (`OrderRejected` after review) fraud. Orders the model or the
  rules decided alone are *not* labelled: learning from its own decisions would only teach the
  model what it already believes. A review that timed out says nothing either.
- A chargeback (`POST /api/fraud/chargebacks`, admin): the bank reversed a charge, the strongest
  fraud signal there is; it overrides an earlier review label ("approved" then charged back).

One document per order in `fraud-labels` (id = order id) with the model's raw columns as the
order's history showed them when it was placed (`shared.orders.risk.fraud_input`: only earlier
orders count, so recomputing later gives what scoring saw). `labelled_rows()` is what the
retraining orchestration's extract step reads.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, Literal

from shared.fraud.features import raw_columns
from shared.kernel.errors import Conflict, NotFound
from shared.messaging.events import CloudEvent
from shared.messaging.inbox import processed_once
from shared.orders.deps import OrderDeps
from shared.orders.fraud_monitoring import load_order, order_fraud_input, order_id_of
from shared.orders.model import OrderState
from shared.ports.documents import Container, DocumentExists, DocumentNotFound, DocumentStore, Filter, Query

LABELS_CONTAINER = "fraud-labels"
PARTITION_KEY = "/orderId"
OUTCOME_EVENTS = ("OrderConfirmed", "OrderRejected")
HANDLER = "fraud.labels"
Source = Literal["review", "chargeback"]


def labels_container(store: DocumentStore) -> Container:
    return store.container(LABELS_CONTAINER, PARTITION_KEY, indexes=("docType",))


def _label_doc(
    deps: OrderDeps, state: OrderState, *, is_fraud: bool, source: Source, reason: str | None, by: str | None
) -> dict[str, Any]:
    raw = {name: values[0] for name, values in raw_columns(order_fraud_input(deps, state)).items()}
    return {
        "id": state.id,
        "docType": "fraudLabel",
        "orderId": state.id,
        "customerId": state.customer_id,
        "isFraud": int(is_fraud),
        "source": source,
        "reason": reason,
        "by": by,
        "raw": raw,
        "orderCreatedAt": state.created_at,
        "labelledAt": datetime.now(UTC).isoformat(),
    }


def review_label(event: CloudEvent, state: OrderState) -> bool | None:
    """is_fraud from a person's review decision, or None when no person decided this order."""
    review = state.review or {}
    if review.get("timedOut"):
        return None
    if event.type == "OrderConfirmed" and review.get("decision") == "approve":
        return False
    if event.type == "OrderRejected" and review.get("decision") == "reject":
        return True
    return None


def label_from_outcome(event: CloudEvent, *, deps: OrderDeps) -> dict[str, Any] | None:
    """Record the label an `OrderConfirmed` / `OrderRejected` event implies (if a person decided)."""
    if event.type not in OUTCOME_EVENTS:
        return None
    order_id = order_id_of(event)
    with processed_once(event.id, HANDLER, store=deps.store) as first:
        state = load_order(deps, order_id) if first and order_id else None
        is_fraud = review_label(event, state) if state is not None else None
        if state is None or is_fraud is None:
            return None
        review = state.review or {}
        doc = _label_doc(
            deps, state, is_fraud=is_fraud, source="review", reason=review.get("note"), by=review.get("by")
        )
        with suppress(DocumentExists):  # a chargeback (or a concurrent delivery) got there first
            return labels_container(deps.store).create(doc)
        return None


def record_chargeback(
    deps: OrderDeps, *, order_id: str, reason: str, by: str | None
) -> tuple[dict[str, Any], bool]:
    """Label the order as fraud (source chargeback). Returns (label, created); repeating is harmless."""
    state = load_order(deps, order_id)
    if state is None:
        raise NotFound("the order does not exist")
    if not state.captured:
        raise Conflict(
            f"order {order_id} was never charged: there is nothing to charge back", code="not_charged"
        )
    labels = labels_container(deps.store)
    with suppress(DocumentNotFound):
        existing = labels.read(order_id, order_id)
        if existing.get("source") == "chargeback":
            return existing, False
    doc = _label_doc(deps, state, is_fraud=True, source="chargeback", reason=reason, by=by)
    return labels.upsert(doc), True


def labelled_rows(store: DocumentStore) -> list[dict[str, Any]]:
    """Every label as a flat row: the raw columns, `is_fraud` and `source` (for training)."""
    docs = labels_container(store).query_all(Query(where=(Filter("docType", "=", "fraudLabel"),)))
    return [{**doc["raw"], "is_fraud": int(doc["isFraud"]), "source": doc["source"]} for doc in docs]
