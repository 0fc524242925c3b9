"""The outbox: state and events commit together; the relay publishes in order, at least once."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import pytest

from shared.adapters.local_publisher import LocalBusPublisher
from shared.adapters.localbus import LocalBus
from shared.adapters.localbus_topology import EntitySpec, Topology
from shared.messaging import outbox
from shared.messaging.events import CloudEvent, PlatformPinged, new_event
from shared.messaging.outbox import NOT_OUTBOX, UnitOfWork, register_outbox
from shared.messaging.relay import OutboxRelay
from shared.ports.documents import BatchFailed, Container, DocumentStore, Query
from shared.ports.messaging import BusMessage, MessagePublisher

MakeContainer = Callable[..., Container]
TOPIC = "events"
QUEUE = "commands"


@pytest.fixture
def bus(tmp_path: Path) -> Iterator[LocalBus]:
    entities = (EntitySpec(TOPIC, "all"), EntitySpec(QUEUE, ""))
    b = LocalBus(tmp_path / "bus.db", Topology(topic=TOPIC, entities=entities))
    yield b
    b.close()


def drain(bus: LocalBus) -> list[CloudEvent]:
    leased = bus.receive(TOPIC, "all", max_count=1000)
    for m in leased:
        bus.complete(m.lock_token)
    return [CloudEvent.from_message(m.message) for m in leased]


def ping(who: str, subject: str) -> CloudEvent:
    return new_event(PlatformPinged(requested_by=who), subject=subject)


def test_commit_writes_state_and_outbox_then_relay_publishes_and_clears(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus
) -> None:
    orders = make_container("/orderId")
    events = [ping("a", "o1"), ping("b", "o1")]
    [order] = (
        UnitOfWork(orders, "o1").create({"id": "o1", "orderId": "o1", "status": "new"}).emit(*events).commit()
    )
    assert order is not None and order["status"] == "new"
    assert len(orders.query_all(Query())) == 3  # the order and two pending outbox entries
    assert [d["id"] for d in orders.query_all(Query(where=[NOT_OUTBOX]))] == ["o1"]

    relay = OutboxRelay(docs, LocalBusPublisher(bus), {orders.name: "/orderId"})
    assert relay.run_once() == 2
    assert [e.id for e in drain(bus)] == [e.id for e in events]
    assert [d["id"] for d in orders.query_all(Query())] == ["o1"]
    assert relay.run_once() == 0


def test_a_conditional_replace_commits_with_its_events(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus
) -> None:
    # The usual service write: read, change, replace on the ETag, emit what happened.
    orders = make_container("/orderId")
    created = orders.create({"id": "o1", "orderId": "o1", "status": "new"})
    event = ping("pay", "o1")
    [saved] = (
        UnitOfWork(orders, "o1")
        .replace({**created, "status": "paid"}, if_match=created["_etag"])
        .emit(event)
        .commit()
    )
    assert saved is not None and saved["status"] == "paid"
    assert OutboxRelay(docs, LocalBusPublisher(bus), {orders.name: "/orderId"}).run_once() == 1
    assert [e.id for e in drain(bus)] == [event.id]


def test_a_stale_unit_of_work_fails_before_any_event(make_container: MakeContainer) -> None:
    # Runs on cosmosdb-server too: the failing write comes first, so nothing after it is applied.
    orders = make_container("/orderId")
    created = orders.create({"id": "o1", "orderId": "o1", "status": "new"})
    orders.replace({**created, "status": "paid"})
    with pytest.raises(BatchFailed) as info:
        UnitOfWork(orders, "o1").replace({**created, "status": "x"}, if_match=created["_etag"]).emit(
            ping("x", "o1")
        ).commit()
    assert info.value.index == 0
    assert [d["status"] for d in orders.query_all(Query())] == ["paid"]


def test_a_container_partitioned_on_id_cannot_hold_an_outbox(
    make_container: MakeContainer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "_containers", {})
    with pytest.raises(ValueError, match="/id"):
        register_outbox("by-id", "/id")
    assert outbox.outbox_containers() == {}
    by_id = make_container("/id")
    with pytest.raises(ValueError, match="/id"):
        UnitOfWork(by_id, "o1").create({"id": "o1"}).emit(ping("x", "o1")).commit()
    assert by_id.query_all(Query()) == []
    # Without events a unit of work is just a batch, which /id containers can do.
    assert UnitOfWork(by_id, "o1").create({"id": "o1"}).commit()[0] is not None


@pytest.mark.embedded_only("needs an atomic batch (roll back the applied write); cosmosdb-server has none")
def test_a_failed_commit_leaves_neither_state_nor_events(
    make_container: MakeContainer, bus: LocalBus
) -> None:
    orders = make_container("/orderId")
    created = orders.create({"id": "o1", "orderId": "o1", "status": "new"})
    orders.replace({**created, "status": "paid"})
    with pytest.raises(BatchFailed):
        UnitOfWork(orders, "o1").create({"id": "line1", "orderId": "o1"}).replace(
            {**created, "status": "cancelled"}, if_match=created["_etag"]
        ).emit(ping("x", "o1")).commit()
    assert orders.read("o1", "o1")["status"] == "paid"
    assert len(orders.query_all(Query())) == 1


def test_relay_keeps_order_per_subject_across_units_of_work(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus
) -> None:
    orders = make_container("/orderId")
    expected: dict[str, list[str]] = {"o1": [], "o2": []}
    for step in range(6):
        subject = "o1" if step % 2 else "o2"
        event = ping(f"step{step}", subject)
        expected[subject].append(event.id)
        UnitOfWork(orders, subject).create({"id": f"s{step}", "orderId": subject}).emit(event).commit()
    OutboxRelay(docs, LocalBusPublisher(bus), {orders.name: "/orderId"}, page_size=4).run_once()
    published = drain(bus)
    for subject, ids in expected.items():
        assert [e.id for e in published if e.subject == subject] == ids


class FailingOnce(MessagePublisher):
    """A bus that refuses the first publish (an outage), then delivers through the real one."""

    def __init__(self, inner: MessagePublisher) -> None:
        self.inner = inner
        self.failed = False

    def publish(self, messages: Sequence[BusMessage]) -> None:
        if not self.failed:
            self.failed = True
            raise ConnectionError("bus unavailable")
        self.inner.publish(messages)

    def send(self, queue: str, messages: Sequence[BusMessage]) -> None:
        self.inner.send(queue, messages)


def test_a_bus_outage_delays_but_loses_nothing(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus
) -> None:
    orders = make_container("/orderId")
    event = ping("a", "o1")
    UnitOfWork(orders, "o1").create({"id": "o1", "orderId": "o1"}).emit(event).commit()
    relay = OutboxRelay(docs, FailingOnce(LocalBusPublisher(bus)), {orders.name: "/orderId"})
    with pytest.raises(ConnectionError):
        relay.run_once()
    assert drain(bus) == []
    assert relay.run_once() == 1
    assert [e.id for e in drain(bus)] == [event.id]


def test_relay_uses_registered_containers_by_default(
    docs: DocumentStore, bus: LocalBus, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(outbox, "_containers", {})  # the process-wide registry, restored after
    name = "outbox-registry-test"
    register_outbox(name, "/k")
    container = docs.container(name, "/k")
    UnitOfWork(container, "k1").create({"id": "a", "k": "k1"}).emit(ping("r", "k1")).commit()
    assert OutboxRelay(docs, LocalBusPublisher(bus)).run_once() >= 1
    assert any(e.subject == "k1" for e in drain(bus))
    with pytest.raises(ValueError):
        register_outbox(name, "/other")


def test_a_unit_of_work_commits_once(make_container: MakeContainer) -> None:
    orders = make_container("/orderId")
    uow = UnitOfWork(orders, "o1").create({"id": "o1", "orderId": "o1"})
    uow.commit()
    with pytest.raises(RuntimeError):
        uow.commit()
    assert UnitOfWork(orders, "o2").commit() == []


def command(n: int = 1) -> BusMessage:
    return BusMessage(
        message_id=f"o1:notify:{n}",
        body=b'{"commandId": "o1:notify:%d", "type": "SendIt", "data": {"n": %d}}' % (n, n),
        subject="SendIt",
        content_type="application/json",
        correlation_id="corr-1",
        application_properties={"type": "SendIt", "orderId": "o1"},
    )


def test_a_command_commits_with_the_state_and_the_relay_sends_it_to_its_queue_as_staged(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus
) -> None:
    orders = make_container("/orderId")
    event = ping("a", "o1")
    UnitOfWork(orders, "o1").create({"id": "o1", "orderId": "o1"}).emit(event).send(QUEUE, command()).commit()
    assert bus.count(QUEUE) == 0  # staged, not sent: it leaves with the relay, after the commit
    assert [d["id"] for d in orders.query_all(Query(where=[NOT_OUTBOX]))] == ["o1"]

    relay = OutboxRelay(docs, LocalBusPublisher(bus), {orders.name: "/orderId"})
    assert relay.run_once() == 2
    assert [e.id for e in drain(bus)] == [event.id]  # the event went to the topic, not the command
    [leased] = bus.receive(QUEUE, None, max_count=10)
    sent, staged = leased.message, command()
    assert (sent.message_id, sent.body, sent.subject, sent.content_type, sent.correlation_id) == (
        staged.message_id,
        staged.body,
        staged.subject,
        staged.content_type,
        staged.correlation_id,
    )
    assert dict(sent.application_properties) == dict(staged.application_properties)
    assert [d["id"] for d in orders.query_all(Query())] == ["o1"]
    assert relay.run_once() == 0


class SendFailingOnce(MessagePublisher):
    """A bus whose queue refuses the first send (an outage), then delivers through the real one."""

    def __init__(self, inner: MessagePublisher) -> None:
        self.inner = inner
        self.failed = False

    def publish(self, messages: Sequence[BusMessage]) -> None:
        self.inner.publish(messages)

    def send(self, queue: str, messages: Sequence[BusMessage]) -> None:
        if not self.failed:
            self.failed = True
            raise ConnectionError("bus unavailable")
        self.inner.send(queue, messages)


def test_a_queue_outage_keeps_the_command_until_a_later_round(
    docs: DocumentStore, make_container: MakeContainer, bus: LocalBus
) -> None:
    orders = make_container("/orderId")
    UnitOfWork(orders, "o1").create({"id": "o1", "orderId": "o1"}).send(QUEUE, command()).commit()
    relay = OutboxRelay(docs, SendFailingOnce(LocalBusPublisher(bus)), {orders.name: "/orderId"})
    with pytest.raises(ConnectionError):
        relay.run_once()
    assert bus.count(QUEUE) == 0 and len(orders.query_all(Query())) == 2  # the entry is still there
    assert relay.run_once() == 1
    assert [m.message.message_id for m in bus.receive(QUEUE, None, max_count=10)] == [command().message_id]
