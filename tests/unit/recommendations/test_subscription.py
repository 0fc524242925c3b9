"""The `recommendations` subscription delivers exactly what its trigger consumes, and the event
registry names recommendations as a consumer of it (docs/events.md tells the truth)."""

from __future__ import annotations

from shared.adapters.localbus_topology import load_topology
from shared.messaging.events import event_spec
from shared.recommendations.events import CONSUMED_EVENTS
from tools.gen_events_doc import load_all_declarations


def test_subscription_delivers_what_the_trigger_consumes() -> None:
    topology = load_topology()
    subscription = topology.find(topology.topic, "recommendations")
    assert subscription is not None
    assert set(subscription.event_types) == set(CONSUMED_EVENTS)


def test_registry_declares_recommendations_as_consumer() -> None:
    load_all_declarations()
    for name in CONSUMED_EVENTS:
        assert "recommendations" in event_spec(name).consumers
