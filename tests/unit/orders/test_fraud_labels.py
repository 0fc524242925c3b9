"""Labels for retraining: review outcomes (from the orders context's events) and chargebacks."""

from __future__ import annotations

import pytest

from functions.fraud_monitoring import handle_event
from models.fraud.features import RAW_COLUMNS
from shared.kernel.errors import Conflict, NotFound
from shared.orders.fraud_labels import labelled_rows, labels_container, record_chargeback
from shared.ports.documents import DocumentNotFound
from tests.integration.orders.harness import BLOCKED, HIGHEST
from tests.unit.fraud.orders_world import World, cloud_event


def label_of(world: World, order_id: str) -> dict[str, object] | None:
    try:
        return labels_container(world.deps.store).read(order_id, order_id)
    except DocumentNotFound:
        return None


def test_a_review_approval_is_a_legitimate_label_and_a_rejection_a_fraud_label(world: World) -> None:
    approved = world.order(card=HIGHEST, review="approve")
    rejected = world.order(card=HIGHEST, review="reject")
    assert (world.status(approved), world.status(rejected)) == ("confirmed", "rejected")
    confirmed_event = cloud_event("OrderConfirmed", approved)
    for event in (confirmed_event, cloud_event("OrderRejected", rejected), confirmed_event):
        handle_event(event.to_json())
    good, bad = label_of(world, approved), label_of(world, rejected)
    assert good is not None and good["isFraud"] == 0 and good["source"] == "review"
    assert bad is not None and bad["isFraud"] == 1 and bad["source"] == "review"
    rows = {row["is_fraud"]: row for row in labelled_rows(world.deps.store)}
    assert set(rows) == {0, 1} and len(labelled_rows(world.deps.store)) == 2
    assert set(RAW_COLUMNS) <= set(rows[0]) and rows[0]["provider_signal"] == "highest"
    assert rows[0]["amount"] == 20.0


def test_decisions_nobody_reviewed_are_not_labels(world: World) -> None:
    auto_approved = world.order()
    auto_rejected = world.order(card=BLOCKED)
    handle_event(cloud_event("OrderConfirmed", auto_approved).to_json())
    handle_event(cloud_event("OrderRejected", auto_rejected).to_json())
    assert label_of(world, auto_approved) is None and label_of(world, auto_rejected) is None


def test_a_chargeback_labels_fraud_and_overrides_an_approval(world: World) -> None:
    approved = world.order(card=HIGHEST, review="approve")
    handle_event(cloud_event("OrderConfirmed", approved).to_json())
    doc, created = record_chargeback(world.deps, order_id=approved, reason="stolen card", by="admin-1")
    assert created and doc["isFraud"] == 1 and doc["source"] == "chargeback"
    again, created_again = record_chargeback(world.deps, order_id=approved, reason="dup", by="admin-1")
    assert not created_again and again["reason"] == "stolen card"
    # A late review event does not undo the chargeback.
    handle_event(cloud_event("OrderConfirmed", approved).to_json())
    label = label_of(world, approved)
    assert label is not None and label["source"] == "chargeback" and label["isFraud"] == 1


def test_only_a_charged_order_can_be_charged_back(world: World) -> None:
    rejected = world.order(card=BLOCKED)
    with pytest.raises(Conflict):
        record_chargeback(world.deps, order_id=rejected, reason="x", by=None)
    with pytest.raises(NotFound):
        record_chargeback(world.deps, order_id="ord_nope", reason="x", by=None)
    assert labelled_rows(world.deps.store) == []
