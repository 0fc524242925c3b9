"""Event publisher contract, over the local bus.

What is NOT covered here: the Service Bus adapter against a broker. No local broker speaks the
AMQP CBS handshake azure-servicebus needs (see DEVHOST.md), so only its message mapping is tested
(tests/unit/test_servicebus_mapping.py); its sending is the SDK's own batch API, kept thin.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.adapters.local_publisher import LocalBusPublisher
from shared.adapters.localbus import LocalBus
from shared.adapters.localbus_topology import EntitySpec, Topology
from shared.messaging.events import CloudEvent, EventDeadLettered, PlatformPinged, new_event
from shared.ports.messaging import BusMessage, MessagePublisher

TOPIC = "events"


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[LocalBus]:
    topology = Topology(
        topic=TOPIC,
        entities=(
            EntitySpec(TOPIC, "ops-pings", event_types=("PlatformPinged",)),
            EntitySpec(TOPIC, "audit", event_types=("*",)),
            EntitySpec("commands"),
        ),
    )
    b = LocalBus(tmp_path / "bus.db", topology)
    yield b
    b.close()


@pytest.fixture(params=["local"])
def publisher(request: pytest.FixtureRequest, bus: LocalBus) -> MessagePublisher:
    return LocalBusPublisher(bus)


def received(bus: LocalBus, entity: str, subscription: str | None = None) -> list[BusMessage]:
    leased = bus.receive(entity, subscription, max_count=100)
    for m in leased:
        bus.complete(m.lock_token)
    return [m.message for m in leased]


def test_events_reach_subscriptions_by_type(publisher: MessagePublisher, bus: LocalBus) -> None:
    ping = new_event(PlatformPinged(requested_by="ops"), subject="ping-1")
    dead = new_event(EventDeadLettered(event_id="e", event_type="X", handler="h", reason="r"), subject="e")
    publisher.publish([ping.to_message(), dead.to_message()])
    pings = received(bus, TOPIC, "ops-pings")
    assert [m.message_id for m in pings] == [ping.id]
    assert [m.subject for m in received(bus, TOPIC, "audit")] == ["PlatformPinged", "EventDeadLettered"]


def test_the_message_carries_the_cloud_event(publisher: MessagePublisher, bus: LocalBus) -> None:
    event = new_event(
        PlatformPinged(requested_by="ops", note="hi"),
        subject="s",
        traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01",
    )
    publisher.publish([event.to_message(correlation_id="corr-1")])
    [message] = received(bus, TOPIC, "ops-pings")
    assert message.application_properties["type"] == "PlatformPinged"
    assert message.application_properties["traceparent"] == event.traceparent
    assert message.content_type == "application/cloudevents+json"
    back = CloudEvent.from_message(message)
    assert back == event
    assert back.data == {"requestedBy": "ops", "note": "hi"}


def test_order_is_kept_and_duplicates_are_dropped(publisher: MessagePublisher, bus: LocalBus) -> None:
    events = [new_event(PlatformPinged(requested_by=f"u{i}"), subject="same") for i in range(5)]
    publisher.publish([e.to_message() for e in events])
    publisher.publish([events[2].to_message()])  # a relay retry: same message id
    assert [m.message_id for m in received(bus, TOPIC, "ops-pings")] == [e.id for e in events]


def test_commands_go_to_a_queue(publisher: MessagePublisher, bus: LocalBus) -> None:
    command = BusMessage(
        message_id="c1",
        body=b'{"to":"x"}',
        subject="SendEmail",
        content_type="application/json",
        application_properties={"type": "SendEmail"},
    )
    publisher.send("commands", [command])
    assert [m.message_id for m in received(bus, "commands")] == ["c1"]
    assert received(bus, TOPIC, "audit") == []


def test_empty_publish_is_a_no_op_and_health_passes(publisher: MessagePublisher, bus: LocalBus) -> None:
    publisher.publish([])
    publisher.health()
    assert received(bus, TOPIC, "audit") == []
