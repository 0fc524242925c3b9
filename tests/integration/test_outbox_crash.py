"""Crash test: a process SIGKILLed between its state commit and the relay loses no event, and
one killed inside a commit publishes nothing for the change it never committed. A relay killed
after publishing but before clearing the outbox republishes (at least once); the bus' duplicate
detection on the event id keeps consumers from seeing it twice."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from shared.adapters.local_publisher import LocalBusPublisher
from shared.adapters.localbus import LocalBus
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.messaging.events import CloudEvent
from shared.messaging.outbox import NOT_OUTBOX
from shared.messaging.relay import OutboxRelay
from shared.ports.documents import DocumentNotFound, Query
from tests.integration.crash.child import CONTAINERS
from tests.integration.crash.topology import TOPIC, TOPOLOGY

ROOT = Path(__file__).resolve().parents[2]


def run_child(data_dir: Path, mode: str) -> dict[str, str]:
    proc = subprocess.run(
        [sys.executable, "-m", "tests.integration.crash.child", str(data_dir), mode],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == -signal.SIGKILL, proc.stderr
    return {line.split()[0]: line.split()[1] for line in proc.stdout.splitlines() if line.strip()}


def relay_and_receive(data_dir: Path) -> list[str]:
    store = SqliteDocumentStore(data_dir / "documents.db")
    bus = LocalBus(data_dir / "bus.db", TOPOLOGY)
    try:
        OutboxRelay(store, LocalBusPublisher(bus), CONTAINERS).run_once()
        leased = bus.receive(TOPIC, "all", max_count=100)
        for m in leased:
            bus.complete(m.lock_token)
        return [CloudEvent.from_message(m.message).id for m in leased]
    finally:
        bus.close()
        store.close()


def test_killed_inside_a_commit_loses_nothing_committed_and_publishes_nothing_uncommitted(
    tmp_path: Path,
) -> None:
    lines = run_child(tmp_path, "mid-commit")
    orders = SqliteDocumentStore(tmp_path / "documents.db").container("orders", "/orderId")
    assert orders.read("o1", "o1")["id"] == "o1"
    try:
        orders.read("o2", "o2")
        raise AssertionError("the uncommitted order must not exist")
    except DocumentNotFound:
        pass
    assert relay_and_receive(tmp_path) == [lines["committed"]]
    assert lines["attempted"] != lines["committed"]
    assert [d["id"] for d in orders.query_all(Query())] == ["o1"]  # outbox cleared
    assert relay_and_receive(tmp_path) == []


def test_killed_between_publish_and_clear_republishes_and_the_bus_dedupes(tmp_path: Path) -> None:
    lines = run_child(tmp_path, "mid-relay")
    orders = SqliteDocumentStore(tmp_path / "documents.db").container("orders", "/orderId")
    assert len(orders.query_all(Query())) == 2  # the order and its still-pending outbox entry
    assert relay_and_receive(tmp_path) == [lines["committed"]]  # published once, seen once
    assert [d["id"] for d in orders.query_all(Query(where=[NOT_OUTBOX]))] == ["o1"]
    assert len(orders.query_all(Query())) == 1
