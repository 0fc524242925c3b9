"""The local bus: Service Bus semantics on one SQLite file (`<data-dir>/bus.db`).

Topic fan-out happens at publish time (one row per matching subscription, in one transaction);
consumers peek-lock rows with a lock token, then complete, abandon or dead-letter them. A lock
that expires (its consumer crashed) makes the message visible again, so nothing is lost. The
entity list lives in the database too, so every process sharing the file fans out alike, even to
subscriptions devhost created on the fly. WAL mode plus `BEGIN IMMEDIATE` makes it safe across
threads and processes.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from shared.adapters import localbus_schema as schema
from shared.adapters.localbus_topology import EntitySpec, Topology, load_topology
from shared.adapters.sqlite_writer import writer_lock
from shared.ports.messaging import BusMessage
from shared.storage.files import ensure_private_file

__all__ = ["DeadLetter", "LeasedMessage", "LocalBus", "LockLostError", "Topology", "load_topology"]

log = logging.getLogger(__name__)

DEDUPE_WINDOW_SECONDS = 600.0

# Consumers in this process register here to be woken when a message arrives (keyed by db path).
_listeners: dict[str, list[Callable[[], None]]] = {}
_listeners_lock = threading.Lock()


class LockLostError(Exception):
    """The lock token is unknown: completed already, or the lock expired and someone else has it."""


@dataclass(frozen=True)
class LeasedMessage:
    lock_token: str
    sequence_number: int
    entity: str
    subscription: str | None
    message: BusMessage
    delivery_count: int
    enqueued_at: float
    locked_until: float


@dataclass(frozen=True)
class DeadLetter:
    id: int
    entity: str
    subscription: str | None
    message: BusMessage
    delivery_count: int
    enqueued_at: float
    dead_lettered_at: float
    reason: str
    description: str


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalBus:
    def __init__(
        self,
        path: str | Path,
        topology: Topology | None = None,
        *,
        dedupe_seconds: float = DEDUPE_WINDOW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ensure_private_file(self.path)
        self.topology = topology or load_topology()
        self.dedupe_seconds = dedupe_seconds
        self._clock = clock  # wall-clock seconds; tests inject a fake to control lock expiry
        self._local = threading.local()
        self._key = str(self.path.resolve())
        self._writer = (os.getpid(), writer_lock(self.path))
        with self._tx() as db:
            schema.create(db)
            schema.sync_entities(db, self.topology.entities)

    # --- connections ----------------------------------------------------------------------------
    def _conn(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            db.row_factory = sqlite3.Row
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.execute("PRAGMA busy_timeout=30000")
            self._local.db = db
        return db

    def _writer_lock(self) -> threading.RLock:
        if self._writer[0] != os.getpid():  # forked: the parent's lock state is not ours
            self._writer = (os.getpid(), writer_lock(self.path))
        return self._writer[1]

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        db = self._conn()
        with self._writer_lock():  # queue in-process writers here, not in SQLite's sleeping busy wait
            db.execute("BEGIN IMMEDIATE")
            try:
                yield db
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # --- listeners (in-process wake-ups; other processes poll) ----------------------------------
    def add_listener(self, callback: Callable[[], None]) -> None:
        with _listeners_lock:
            _listeners.setdefault(self._key, []).append(callback)

    def remove_listener(self, callback: Callable[[], None]) -> None:
        with _listeners_lock:
            items = _listeners.get(self._key, [])
            if callback in items:
                items.remove(callback)

    def _notify(self) -> None:
        with _listeners_lock:
            callbacks = list(_listeners.get(self._key, []))
        for cb in callbacks:
            cb()

    # --- entities -------------------------------------------------------------------------------
    def entities(self) -> list[EntitySpec]:
        return schema.read_entities(self._conn())

    def entity(self, entity: str, subscription: str | None = None) -> EntitySpec | None:
        return schema.read_entity(self._conn(), entity, subscription or "")

    def ensure_entity(self, spec: EntitySpec) -> bool:
        """Create `spec` if missing (devhost does this for triggers not in the topology)."""
        with self._tx() as db:
            return schema.insert_entity(db, spec, origin="auto")

    # --- sending --------------------------------------------------------------------------------
    def publish(self, topic: str, messages: Sequence[BusMessage]) -> int:
        """Fan out to every subscription of `topic` whose filter matches; returns rows written."""
        now = self._clock()
        written = 0
        with self._tx() as db:
            subs = [e for e in schema.read_entities(db) if e.entity == topic and not e.is_queue]
            for msg in messages:
                event_type = msg.application_properties.get("type") or msg.subject
                for sub in subs:
                    if sub.matches(event_type, msg.application_properties) and self._fresh(db, sub, msg, now):
                        schema.insert_message(db, sub, msg, now)
                        written += 1
        if written:
            self._notify()
        return written

    def send(self, queue: str, messages: Sequence[BusMessage]) -> int:
        now = self._clock()
        written = 0
        with self._tx() as db:
            spec = schema.read_entity(db, queue, "")
            if spec is None:
                log.warning("queue %r is not in the topology; creating it", queue)
                spec = EntitySpec(entity=queue)
                schema.insert_entity(db, spec, origin="auto")
            for msg in messages:
                if self._fresh(db, spec, msg, now):
                    schema.insert_message(db, spec, msg, now)
                    written += 1
        if written:
            self._notify()
        return written

    def _fresh(self, db: sqlite3.Connection, spec: EntitySpec, msg: BusMessage, now: float) -> bool:
        """Duplicate detection on message_id per entity within the window."""
        if self.dedupe_seconds <= 0:
            return True
        return schema.remember_message_id(db, spec, msg.message_id, now, self.dedupe_seconds)

    # --- receiving ------------------------------------------------------------------------------
    def receive(
        self,
        entity: str,
        subscription: str | None = None,
        *,
        max_count: int = 1,
        lock_seconds: float | None = None,
    ) -> list[LeasedMessage]:
        sub = subscription or ""
        now = self._clock()
        if max_count <= 0 or not schema.has_ready(self._conn(), entity, sub, now):
            return []  # cheap read first: idle pollers never take the write lock
        out: list[LeasedMessage] = []
        with self._tx() as db:
            spec = schema.read_entity(db, entity, sub) or EntitySpec(entity, sub)
            lock = lock_seconds if lock_seconds is not None else spec.lock_seconds
            for row in schema.ready_rows(db, entity, sub, now, max_count):
                if row["delivery_count"] >= spec.max_delivery_count:
                    # Its last delivery's lock expired (the consumer died): no tries left.
                    schema.move_to_dead_letter(
                        db,
                        row,
                        now,
                        "MaxDeliveryCountExceeded",
                        "the lock of the last allowed delivery expired",
                    )
                    continue
                token = uuid.uuid4().hex
                until = now + lock
                db.execute(
                    "UPDATE messages SET lock_token=?, locked_until=?, lock_owner=?,"
                    " delivery_count=delivery_count+1 WHERE seq=?",
                    (token, until, _owner(), row["seq"]),
                )
                out.append(schema.leased(row, token, until))
        return out

    def complete(self, lock_token: str) -> None:
        with self._tx() as db:
            if db.execute("DELETE FROM messages WHERE lock_token=?", (lock_token,)).rowcount == 0:
                raise LockLostError(lock_token)

    def renew_lock(self, lock_token: str, seconds: float) -> None:
        with self._tx() as db:
            cur = db.execute(
                "UPDATE messages SET locked_until=? WHERE lock_token=?", (self._clock() + seconds, lock_token)
            )
            if cur.rowcount == 0:
                raise LockLostError(lock_token)

    def abandon(self, lock_token: str, *, delay_seconds: float = 0.0, error: str | None = None) -> bool:
        """Release the lock. Returns True if the message was dead-lettered instead (no tries left)."""
        now = self._clock()
        with self._tx() as db:
            row = db.execute("SELECT * FROM messages WHERE lock_token=?", (lock_token,)).fetchone()
            if row is None:
                raise LockLostError(lock_token)
            spec = schema.read_entity(db, row["entity"], row["subscription"])
            limit = spec.max_delivery_count if spec else 0
            if row["delivery_count"] >= limit:
                schema.move_to_dead_letter(db, row, now, "MaxDeliveryCountExceeded", error or "")
                return True
            db.execute(
                "UPDATE messages SET lock_token=NULL, locked_until=NULL, lock_owner=NULL, visible_at=?"
                " WHERE seq=?",
                (now + max(0.0, delay_seconds), row["seq"]),
            )
        self._notify()
        return False

    def release(self, lock_token: str) -> None:
        """Give a message back without counting the delivery (the consumer is shutting down)."""
        with self._tx() as db:
            cur = db.execute(
                "UPDATE messages SET lock_token=NULL, locked_until=NULL, lock_owner=NULL,"
                " delivery_count=MAX(0, delivery_count-1) WHERE lock_token=?",
                (lock_token,),
            )
            if cur.rowcount == 0:
                raise LockLostError(lock_token)
        self._notify()

    def dead_letter(self, lock_token: str, reason: str, description: str = "") -> None:
        with self._tx() as db:
            row = db.execute("SELECT * FROM messages WHERE lock_token=?", (lock_token,)).fetchone()
            if row is None:
                raise LockLostError(lock_token)
            schema.move_to_dead_letter(db, row, self._clock(), reason, description)

    def release_orphaned_locks(self) -> int:
        """Unlock messages held by dead processes on this machine (a SIGKILLed devhost), so they
        are redelivered now instead of when their lock expires."""
        host = socket.gethostname()
        released = 0
        with self._tx() as db:
            owners = [
                r[0]
                for r in db.execute("SELECT DISTINCT lock_owner FROM messages WHERE lock_token IS NOT NULL")
            ]
            for owner in owners:
                name, _, pid = str(owner).rpartition(":")
                if name == host and pid.isdigit() and int(pid) != os.getpid() and not _pid_alive(int(pid)):
                    released += db.execute(
                        "UPDATE messages SET lock_token=NULL, locked_until=NULL, lock_owner=NULL"
                        " WHERE lock_owner=?",
                        (owner,),
                    ).rowcount
        if released:
            self._notify()
        return released

    # --- dead letters ---------------------------------------------------------------------------
    def dead_letters(self, entity: str | None = None, subscription: str | None = None) -> list[DeadLetter]:
        return schema.read_dead_letters(self._conn(), entity, subscription)

    def replay(self, dead_letter_id: int) -> None:
        """Put a dead letter back on its entity with a fresh delivery count."""
        with self._tx() as db:
            if not schema.replay_dead_letter(db, dead_letter_id, self._clock()):
                raise KeyError(dead_letter_id)
        self._notify()

    def replay_all(self, entity: str | None = None, subscription: str | None = None) -> int:
        ids = [d.id for d in self.dead_letters(entity, subscription)]
        for i in ids:
            self.replay(i)
        return len(ids)

    # --- inspection -----------------------------------------------------------------------------
    def count(self, entity: str, subscription: str | None = None) -> int:
        row = (
            self._conn()
            .execute(
                "SELECT COUNT(*) FROM messages WHERE entity=? AND subscription=?",
                (entity, subscription or ""),
            )
            .fetchone()
        )
        return int(row[0])
