"""A service process that gets SIGKILLed at a chosen point (driven by test_outbox_crash.py).

    python -m tests.integration.crash.child <data-dir> mid-commit   # killed inside the 2nd commit
    python -m tests.integration.crash.child <data-dir> mid-relay    # killed after publish, before delete

Prints `committed <event-id>` / `attempted <event-id>` lines so the test knows what to expect.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared.adapters.local_publisher import LocalBusPublisher
from shared.adapters.localbus import LocalBus
from shared.adapters.sqlite_container import SqliteContainer
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.messaging.events import PlatformPinged, new_event
from shared.messaging.outbox import UnitOfWork
from shared.messaging.relay import OutboxRelay
from shared.ports.messaging import BusMessage
from tests.integration.crash.topology import TOPOLOGY

CONTAINERS = {"orders": "/orderId"}


def die() -> None:
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def main(data_dir: Path, mode: str) -> None:
    store = SqliteDocumentStore(data_dir / "documents.db")
    orders = store.container("orders", "/orderId")
    first = new_event(PlatformPinged(requested_by="first"), subject="o1")
    UnitOfWork(orders, "o1").create({"id": "o1", "orderId": "o1"}).emit(first).commit()
    print(f"committed {first.id}", flush=True)

    if mode == "mid-commit":
        second = new_event(PlatformPinged(requested_by="second"), subject="o2")
        print(f"attempted {second.id}", flush=True)
        original = SqliteContainer._batch_op
        calls = {"n": 0}

        def batch_op_then_die(self: SqliteContainer, conn: Any, pk: str, op: Any) -> Any:
            result = original(self, conn, pk, op)
            calls["n"] += 1
            if calls["n"] == 2:  # state row and outbox row written, COMMIT not yet issued
                die()
            return result

        SqliteContainer._batch_op = batch_op_then_die  # type: ignore[method-assign,assignment]
        UnitOfWork(orders, "o2").create({"id": "o2", "orderId": "o2"}).emit(second).commit()
        raise AssertionError("should have been killed inside the commit")

    if mode == "mid-relay":
        bus = LocalBus(data_dir / "bus.db", TOPOLOGY)

        class PublishThenDie(LocalBusPublisher):
            def publish(self, messages: Sequence[BusMessage]) -> None:
                super().publish(messages)
                die()  # published, but the outbox entries were not deleted

        OutboxRelay(store, PublishThenDie(bus), CONTAINERS).run_once()
        raise AssertionError("should have been killed inside the relay")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
