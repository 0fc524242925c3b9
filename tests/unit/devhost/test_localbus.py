"""The SQLite local bus: fan-out, peek-lock, retries, dead letters, replay, lock expiry, processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from shared.adapters.localbus import LocalBus, LockLostError
from shared.adapters.localbus_topology import load_topology, parse_topology
from shared.ports.messaging import BusMessage

ROOT = Path(__file__).resolve().parents[3]
TOPOLOGY = {
    "topic": "events",
    "subscriptions": [
        {
            "name": "orders",
            "eventTypes": ["OrderCreated", "OrderCancelled"],
            "maxDeliveryCount": 3,
            "lockDurationSeconds": 30,
        },
        {"name": "everything", "eventTypes": ["*"]},
    ],
    "queues": [{"name": "commands", "maxDeliveryCount": 2}],
}


def msg(i: int | str, event_type: str = "OrderCreated") -> BusMessage:
    return BusMessage(
        message_id=f"m-{i}",
        body=json.dumps({"i": i}).encode(),
        subject=event_type,
        application_properties={"type": event_type},
    )


class FakeClock:
    """A wall clock that only moves when told to, so lock-expiry tests don't race real time."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def bus(tmp_path: Path) -> LocalBus:
    return LocalBus(tmp_path / "bus.db", parse_topology(TOPOLOGY))


@pytest.fixture
def clocked(tmp_path: Path) -> tuple[LocalBus, FakeClock]:
    clock = FakeClock()
    return LocalBus(tmp_path / "bus.db", parse_topology(TOPOLOGY), clock=clock), clock


def test_publish_fans_out_by_event_type(bus: LocalBus) -> None:
    written = bus.publish("events", [msg(1), msg(2, "PaymentCaptured")])
    assert written == 3
    assert [m.message.message_id for m in bus.receive("events", "orders", max_count=10)] == ["m-1"]
    assert len(bus.receive("events", "everything", max_count=10)) == 2


def test_filter_falls_back_to_subject(bus: LocalBus) -> None:
    bus.publish("events", [BusMessage("x", b"{}", "OrderCancelled")])
    assert len(bus.receive("events", "orders")) == 1


def test_publish_to_a_topic_without_subscriptions_drops_like_service_bus(bus: LocalBus) -> None:
    assert bus.publish("other-topic", [msg(1)]) == 0


def test_peek_lock_hides_message_until_settled(bus: LocalBus) -> None:
    bus.send("commands", [msg(1)])
    [leased] = bus.receive("commands", lock_seconds=30)
    assert leased.delivery_count == 1 and leased.message.body == b'{"i": 1}'
    assert bus.receive("commands") == []
    bus.complete(leased.lock_token)
    assert bus.count("commands") == 0
    with pytest.raises(LockLostError):
        bus.complete(leased.lock_token)


def test_abandon_redelivers_then_dead_letters_after_max_delivery_count(bus: LocalBus) -> None:
    bus.publish("events", [msg(1)])
    counts = []
    for _ in range(3):
        [m] = bus.receive("events", "orders")
        counts.append(m.delivery_count)
        dead = bus.abandon(m.lock_token, error="ValueError: boom")
    assert counts == [1, 2, 3] and dead is True
    assert bus.receive("events", "orders") == []
    [letter] = bus.dead_letters("events", "orders")
    assert letter.reason == "MaxDeliveryCountExceeded" and "boom" in letter.description
    assert letter.delivery_count == 3 and letter.message.message_id == "m-1"
    assert bus.dead_letters("events", "everything") == []


def test_abandon_with_delay_keeps_message_invisible(clocked: tuple[LocalBus, FakeClock]) -> None:
    bus, clock = clocked
    bus.send("commands", [msg(1)])
    [m] = bus.receive("commands")
    bus.abandon(m.lock_token, delay_seconds=0.3)
    assert bus.receive("commands") == []
    clock.advance(0.29)
    assert bus.receive("commands") == []
    clock.advance(0.02)
    assert len(bus.receive("commands")) == 1


def test_replay_puts_dead_letter_back_with_fresh_delivery_count(bus: LocalBus) -> None:
    bus.send("commands", [msg(1)])
    [m] = bus.receive("commands")
    bus.dead_letter(m.lock_token, "Poison", "cannot parse")
    [letter] = bus.dead_letters()
    assert (letter.reason, letter.description, letter.entity, letter.subscription) == (
        "Poison",
        "cannot parse",
        "commands",
        None,
    )
    bus.replay(letter.id)
    assert bus.dead_letters() == []
    [again] = bus.receive("commands")
    assert again.delivery_count == 1 and again.message == m.message
    with pytest.raises(KeyError):
        bus.replay(letter.id)


def test_replay_all(bus: LocalBus) -> None:
    bus.send("commands", [msg(1), msg(2)])
    for m in bus.receive("commands", max_count=2):
        bus.dead_letter(m.lock_token, "x")
    assert bus.replay_all() == 2 and bus.count("commands") == 2


def test_expired_lock_makes_message_visible_again(clocked: tuple[LocalBus, FakeClock]) -> None:
    bus, clock = clocked
    bus.send("commands", [msg(1)])
    [first] = bus.receive("commands", lock_seconds=0.2)
    assert first.locked_until == pytest.approx(clock.now + 0.2)
    assert bus.receive("commands") == []
    clock.advance(0.19)
    assert bus.receive("commands") == []
    clock.advance(0.02)
    [second] = bus.receive("commands")
    assert second.delivery_count == 2 and second.lock_token != first.lock_token
    with pytest.raises(LockLostError):
        bus.complete(first.lock_token)  # the crashed consumer's token is no longer valid
    bus.complete(second.lock_token)


def test_renew_lock_extends_the_lock_from_now(clocked: tuple[LocalBus, FakeClock]) -> None:
    bus, clock = clocked
    bus.send("commands", [msg(1)])
    [m] = bus.receive("commands", lock_seconds=10)
    clock.advance(9)
    bus.renew_lock(m.lock_token, 10)
    clock.advance(9)  # 18 s after receive: expired without the renewal, still held with it
    assert bus.receive("commands") == []
    clock.advance(2)
    assert len(bus.receive("commands")) == 1
    with pytest.raises(LockLostError):
        bus.renew_lock(m.lock_token, 10)


def test_default_clock_is_the_wall_clock(bus: LocalBus) -> None:
    bus.send("commands", [msg(1)])
    before = time.time()
    [m] = bus.receive("commands", lock_seconds=30)
    assert before + 30 <= m.locked_until <= time.time() + 30


def test_expired_lock_on_last_delivery_dead_letters(clocked: tuple[LocalBus, FakeClock]) -> None:
    bus, clock = clocked
    bus.send("commands", [msg(1)])
    assert len(bus.receive("commands", lock_seconds=0.05)) == 1
    clock.advance(0.06)
    assert len(bus.receive("commands", lock_seconds=0.05)) == 1  # delivery 2 of 2
    clock.advance(0.06)
    assert bus.receive("commands") == []
    assert [d.reason for d in bus.dead_letters()] == ["MaxDeliveryCountExceeded"]


def test_release_does_not_count_the_delivery(bus: LocalBus) -> None:
    bus.send("commands", [msg(1)])
    [m] = bus.receive("commands")
    bus.release(m.lock_token)
    assert bus.receive("commands")[0].delivery_count == 1


def test_duplicate_message_ids_are_dropped_within_the_window(bus: LocalBus, tmp_path: Path) -> None:
    assert bus.send("commands", [msg(1), msg(1)]) == 1
    assert bus.publish("events", [msg(7)]) == 2
    assert bus.publish("events", [msg(7)]) == 0
    no_dedupe = LocalBus(tmp_path / "other.db", parse_topology(TOPOLOGY), dedupe_seconds=0)
    assert no_dedupe.send("commands", [msg(1), msg(1)]) == 2


def test_entities_are_shared_through_the_file(tmp_path: Path) -> None:
    a = LocalBus(tmp_path / "bus.db", parse_topology(TOPOLOGY))
    b = LocalBus(tmp_path / "bus.db", parse_topology(TOPOLOGY))
    from shared.adapters.localbus_topology import EntitySpec

    assert a.ensure_entity(EntitySpec("events", "late", ("OrderCreated",)))
    assert b.publish("events", [msg(1)]) == 3  # b fans out to the subscription a created
    assert len(a.receive("events", "late")) == 1


def test_unknown_queue_is_created_on_send(bus: LocalBus) -> None:
    bus.send("new-queue", [msg(1)])
    assert bus.entity("new-queue") is not None and len(bus.receive("new-queue")) == 1


def test_listeners_are_woken_on_send(bus: LocalBus) -> None:
    calls: list[int] = []
    bus.add_listener(lambda: calls.append(1))
    bus.send("commands", [msg(1)])
    assert calls == [1]


def test_orphaned_locks_of_dead_processes_are_released(bus: LocalBus) -> None:
    bus.send("commands", [msg(1)])
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    assert len(bus.receive("commands", lock_seconds=600)) == 1
    db = bus._conn()
    owner = db.execute("SELECT lock_owner FROM messages").fetchone()[0]
    db.execute("UPDATE messages SET lock_owner=?", (owner.rpartition(":")[0] + f":{pid}",))
    assert bus.release_orphaned_locks() == 1
    assert len(bus.receive("commands")) == 1


def test_topology_file_loads() -> None:
    topology = load_topology()
    assert topology.topic == "smartcommerce-events"
    assert all(e.max_delivery_count >= 1 for e in topology.entities)


def test_duplicate_entities_in_topology_are_refused() -> None:
    with pytest.raises(ValueError, match="duplicate"):
        parse_topology({"topic": "t", "subscriptions": [{"name": "a"}, {"name": "a"}]})


_CONSUMER = """
import json, sys, time
from shared.adapters.localbus import LocalBus
from shared.adapters.localbus_topology import parse_topology
from pathlib import Path
bus = LocalBus(sys.argv[1], parse_topology(json.loads(sys.argv[2])))
print("ready", flush=True)
deadline = time.time() + 30
while not Path(sys.argv[3]).exists() and time.time() < deadline:  # start together
    time.sleep(0.01)
got, idle = [], 0
while idle < 20 and time.time() < deadline:
    batch = bus.receive("commands", max_count=3)
    if not batch:
        idle += 1; time.sleep(0.01); continue
    idle = 0
    for m in batch:
        got.append(m.message.message_id); bus.complete(m.lock_token)
        time.sleep(0.003)  # "work", so that neither process can drain the queue alone
print(json.dumps(got))
"""


def test_two_processes_never_receive_the_same_message(tmp_path: Path) -> None:
    path = tmp_path / "bus.db"
    bus = LocalBus(path, parse_topology(TOPOLOGY))
    bus.send("commands", [msg(i) for i in range(300)])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    go = tmp_path / "go"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", _CONSUMER, str(path), json.dumps(TOPOLOGY), str(go)],
            stdout=subprocess.PIPE,
            text=True,
            env=env,
            cwd=ROOT,
        )
        for _ in range(2)
    ]
    for p in procs:
        assert p.stdout is not None and p.stdout.readline().strip() == "ready"
    go.touch()
    results = []
    for p in procs:
        out, _ = p.communicate(timeout=60)
        assert p.returncode == 0
        results.append(json.loads(out))
    everything = results[0] + results[1]
    assert sorted(everything) == sorted(f"m-{i}" for i in range(300))
    assert len(set(everything)) == 300
    assert results[0] and results[1]  # both actually took part
