"""Relay isolation: one bad outbox entry is parked; the entries after it, and other containers, flow."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.local_publisher import LocalBusPublisher
from shared.adapters.localbus import LocalBus
from shared.adapters.localbus_topology import EntitySpec, Topology
from shared.messaging.events import CloudEvent, PlatformPinged, new_event
from shared.messaging.outbox import OUTBOX_FIELD, UnitOfWork, next_seq
from shared.messaging.relay import OutboxRelay, ParkedOutboxEntries, parked_check, parked_entries
from shared.ports.documents import Container, DocumentStore, Query
from shared.ports.messaging import BusMessage, MessagePublisher

MakeContainer = Callable[..., Container]
TOPIC = "events"


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[LocalBus]:
    b = LocalBus(tmp_path / "bus.db", Topology(topic=TOPIC, entities=(EntitySpec(TOPIC, "all"),)))
    yield b
    b.close()


def drain(bus: LocalBus) -> list[CloudEvent]:
    leased = bus.receive(TOPIC, "all", max_count=1000)
    for m in leased:
        bus.complete(m.lock_token)
    return [CloudEvent.from_message(m.message) for m in leased]


def ping(who: str, subject: str) -> CloudEvent:
    return new_event(PlatformPinged(requested_by=who), subject=subject)


def emit_ten(orders: Container, prefix: str = "o") -> list[str]:
    events = [ping(f"{prefix}{i}", f"{prefix}{i}") for i in range(10)]
    for i, event in enumerate(events):
        UnitOfWork(orders, f"{prefix}{i}").create({"id": f"{prefix}{i}", "orderId": f"{prefix}{i}"}).emit(
            event
        ).commit()
    return [e.id for e in events]


def raw_entry(orders: Container, event: dict[str, object], order_id: str = "poison") -> None:
    """An outbox entry written as a buggy (or older) producer might have: straight to the store."""
    orders.create(
        {"id": f"outbox-{order_id}", "orderId": order_id, OUTBOX_FIELD: {"seq": next_seq(), "event": event}}
    )


def parked_of(docs: DocumentStore, source: Container) -> list[dict[str, Any]]:
    """This test's parked entries (the Cosmos stand-in's database lives for the whole session)."""
    return [d for d in parked_entries(docs) if d["sourceContainer"] == source.name]


def pending(orders: Container) -> list[str]:
    return [d["id"] for d in orders.query_all(Query()) if OUTBOX_FIELD in d]


@pytest.mark.parametrize("poison", ["malformed", "oversize"])
def test_a_poison_entry_is_parked_and_the_next_ten_events_are_relayed(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus, poison: str
) -> None:
    orders = make_container("/orderId")
    if poison == "malformed":
        raw_entry(orders, {"specversion": "1.0", "nonsense": True})
    else:  # over Service Bus' 256 KB per message
        big = ping("x" * 300_000, "poison").model_dump(mode="json", exclude_none=True)
        raw_entry(orders, big)
    expected = emit_ten(orders)

    relay = OutboxRelay(docs, LocalBusPublisher(bus), {orders.name: "/orderId"})
    assert relay.run_once() == 10
    assert [e.id for e in drain(bus)] == expected  # in commit order, the poison one left out
    assert pending(orders) == []
    [parked] = parked_of(docs, orders)
    assert parked["entryId"] == "outbox-poison"
    assert ("malformed envelope" if poison == "malformed" else "byte limit") in parked["reason"]
    with pytest.raises(ParkedOutboxEntries):
        parked_check(docs)  # /api/health shows "degraded" until an operator acts
    assert relay.run_once() == 0


class RefusingPublisher(MessagePublisher):
    """The bus refuses messages of one subject (e.g. no Send permission on what it routes to)."""

    def __init__(self, inner: MessagePublisher, refused_subject: str) -> None:
        self.inner = inner
        self.refused_subject = refused_subject
        self.refusals = 0

    def publish(self, messages: Sequence[BusMessage]) -> None:
        if any(CloudEvent.from_message(m).subject == self.refused_subject for m in messages):
            self.refusals += 1
            raise PermissionError("unauthorized on the routed entity")
        self.inner.publish(messages)

    def send(self, queue: str, messages: Sequence[BusMessage]) -> None:
        self.inner.send(queue, messages)


def test_a_refused_entry_is_retried_with_backoff_then_parked_while_the_rest_flows(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus
) -> None:
    orders = make_container("/orderId")
    UnitOfWork(orders, "bad").create({"id": "bad", "orderId": "bad"}).emit(ping("b", "refused")).commit()
    expected = emit_ten(orders)
    publisher = RefusingPublisher(LocalBusPublisher(bus), "refused")
    relay = OutboxRelay(docs, publisher, {orders.name: "/orderId"}, max_attempts=3, backoff_seconds=0.0)

    assert relay.run_once() == 10  # the ten behind it are not held up
    assert [e.id for e in drain(bus)] == expected
    [entry] = [d for d in orders.query_all(Query()) if OUTBOX_FIELD in d]
    assert entry[OUTBOX_FIELD]["attempts"] == 1 and entry[OUTBOX_FIELD]["retryAt"] > 0
    assert parked_of(docs, orders) == []

    relay.run_once()
    relay.run_once()  # third refusal: parked
    assert pending(orders) == []
    [parked] = parked_of(docs, orders)
    assert parked["attempts"] == 3 and "PermissionError" in parked["reason"]

    later = emit_ten(orders, prefix="n")
    assert relay.run_once() == 10 and [e.id for e in drain(bus)] == later


def test_backoff_holds_a_refused_entry_back_between_rounds(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus
) -> None:
    orders = make_container("/orderId")
    UnitOfWork(orders, "bad").create({"id": "bad", "orderId": "bad"}).emit(ping("b", "refused")).commit()
    emit_ten(orders)
    publisher = RefusingPublisher(LocalBusPublisher(bus), "refused")
    relay = OutboxRelay(docs, publisher, {orders.name: "/orderId"}, max_attempts=3, backoff_seconds=3600)
    relay.run_once()
    tries = publisher.refusals
    relay.run_once()
    relay.run_once()
    assert publisher.refusals == tries, "retried before its backoff ran out"
    assert parked_of(docs, orders) == []


def test_a_bus_outage_parks_nothing(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus
) -> None:
    class Down(MessagePublisher):
        def publish(self, messages: Sequence[BusMessage]) -> None:
            raise ConnectionError("bus down")

        def send(self, queue: str, messages: Sequence[BusMessage]) -> None:
            raise ConnectionError("bus down")

    orders = make_container("/orderId")
    emit_ten(orders)
    relay = OutboxRelay(docs, Down(), {orders.name: "/orderId"}, max_attempts=1, backoff_seconds=0.0)
    for _ in range(3):
        with pytest.raises(ConnectionError):
            relay.run_once()
    assert len(pending(orders)) == 10 and parked_of(docs, orders) == []


def test_a_failing_container_does_not_starve_the_others(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus
) -> None:
    orders = make_container("/orderId")
    expected = emit_ten(orders)
    # Sorted before the good one, and unusable (the store refuses its name): it fails every round.
    relay = OutboxRelay(docs, LocalBusPublisher(bus), {"bad/name": "/orderId", orders.name: "/orderId"})
    # The round reports the broken container (ValueError on SQLite, an HTTP error from Cosmos),
    # after the others ran.
    with pytest.raises(Exception):  # noqa: B017
        relay.run_once()
    assert [e.id for e in drain(bus)] == expected
