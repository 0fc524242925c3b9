"""The event registry's "fraud" consumers are exactly what fraud's trigger consumes: the events its
subscription in infra/messaging.json delivers and functions/fraud_monitoring.py routes, so
docs/events.md tells the truth about who reads what."""

from __future__ import annotations

from shared.adapters.localbus_topology import load_topology
from shared.messaging.events import event_spec, event_specs
from shared.orders.fraud_labels import OUTCOME_EVENTS
from shared.orders.fraud_monitoring import MONITORED_EVENTS
from tools.gen_events_doc import load_all_declarations

CONSUMED = {"OrderCreated", "PaymentAuthorized", "OrderConfirmed", "OrderRejected"}


def test_fraud_trigger_consumes_what_its_subscription_delivers() -> None:
    topology = load_topology()
    subscription = topology.find(topology.topic, "fraud")
    assert subscription is not None
    assert set(subscription.event_types) == CONSUMED
    assert set(MONITORED_EVENTS) | set(OUTCOME_EVENTS) == CONSUMED


def test_registry_declares_fraud_as_consumer_of_exactly_those_events() -> None:
    load_all_declarations()
    declared = {spec.type for spec in event_specs() if "fraud" in spec.consumers}
    assert declared == CONSUMED
    assert event_spec("PaymentAuthorized").producer == "payments"
    assert event_spec("OrderConfirmed").producer == "orders"
