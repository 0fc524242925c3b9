"""SQL for the local bus (shared.adapters.localbus): tables and row <-> dataclass mapping.

Every function takes a connection already inside the caller's transaction.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from shared.adapters.localbus_topology import EntitySpec, parse_skip, skip_json
from shared.ports.messaging import BusMessage

if TYPE_CHECKING:
    from shared.adapters.localbus import DeadLetter, LeasedMessage

_TABLES = """
CREATE TABLE IF NOT EXISTS entities (
    entity TEXT NOT NULL, subscription TEXT NOT NULL, event_types TEXT NOT NULL,
    max_delivery_count INTEGER NOT NULL, lock_seconds REAL NOT NULL, origin TEXT NOT NULL,
    PRIMARY KEY (entity, subscription));
CREATE TABLE IF NOT EXISTS messages (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL, subscription TEXT NOT NULL,
    message_id TEXT NOT NULL, body BLOB NOT NULL, subject TEXT, content_type TEXT,
    correlation_id TEXT, session_id TEXT, properties TEXT NOT NULL,
    enqueued_at REAL NOT NULL, visible_at REAL NOT NULL,
    delivery_count INTEGER NOT NULL DEFAULT 0,
    lock_token TEXT, locked_until REAL, lock_owner TEXT);
CREATE INDEX IF NOT EXISTS ix_messages_ready ON messages (entity, subscription, seq);
CREATE UNIQUE INDEX IF NOT EXISTS ix_messages_lock ON messages (lock_token) WHERE lock_token IS NOT NULL;
CREATE TABLE IF NOT EXISTS dead_letters (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entity TEXT NOT NULL, subscription TEXT NOT NULL,
    message_id TEXT NOT NULL, body BLOB NOT NULL, subject TEXT, content_type TEXT,
    correlation_id TEXT, session_id TEXT, properties TEXT NOT NULL,
    enqueued_at REAL NOT NULL, delivery_count INTEGER NOT NULL,
    dead_lettered_at REAL NOT NULL, reason TEXT NOT NULL, description TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS seen_ids (
    entity TEXT NOT NULL, subscription TEXT NOT NULL, message_id TEXT NOT NULL, seen_at REAL NOT NULL,
    PRIMARY KEY (entity, subscription, message_id));
CREATE INDEX IF NOT EXISTS ix_seen_at ON seen_ids (seen_at);
"""

_MESSAGE_COLUMNS = (
    "message_id, body, subject, content_type, correlation_id, session_id, properties, enqueued_at"
)


def create(db: sqlite3.Connection) -> None:
    for statement in _TABLES.split(";"):
        if statement.strip():
            db.execute(statement)


# --- entities -------------------------------------------------------------------------------------
def _entity(row: sqlite3.Row) -> EntitySpec:
    # `event_types` holds the type list, or {"types": [...], "skipWhen": {...}} for a subscription
    # with a skip rule (the column predates the rule: no migration, and plain lists read as before).
    filters = json.loads(row["event_types"])
    types, skip = (
        (filters["types"], filters.get("skipWhen")) if isinstance(filters, dict) else (filters, None)
    )
    return EntitySpec(
        row["entity"],
        row["subscription"],
        tuple(types),
        row["max_delivery_count"],
        row["lock_seconds"],
        parse_skip(skip),
    )


def _filters_json(spec: EntitySpec) -> str:
    if spec.skip is None:
        return json.dumps(list(spec.event_types))
    return json.dumps({"types": list(spec.event_types), "skipWhen": skip_json(spec.skip)})


def read_entities(db: sqlite3.Connection) -> list[EntitySpec]:
    return [_entity(r) for r in db.execute("SELECT * FROM entities ORDER BY entity, subscription")]


def read_entity(db: sqlite3.Connection, entity: str, subscription: str) -> EntitySpec | None:
    row = db.execute(
        "SELECT * FROM entities WHERE entity=? AND subscription=?", (entity, subscription)
    ).fetchone()
    return _entity(row) if row else None


def insert_entity(db: sqlite3.Connection, spec: EntitySpec, *, origin: str) -> bool:
    cur = db.execute(
        "INSERT OR IGNORE INTO entities VALUES (?, ?, ?, ?, ?, ?)",
        (
            spec.entity,
            spec.subscription,
            _filters_json(spec),
            spec.max_delivery_count,
            spec.lock_seconds,
            origin,
        ),
    )
    return cur.rowcount > 0


def sync_entities(db: sqlite3.Connection, specs: Iterable[EntitySpec]) -> None:
    """Make the file's entities authoritative; keep the ones devhost created on the fly."""
    specs = list(specs)
    db.execute("DELETE FROM entities WHERE origin='file'")
    for spec in specs:
        db.execute("DELETE FROM entities WHERE entity=? AND subscription=?", (spec.entity, spec.subscription))
        insert_entity(db, spec, origin="file")


# --- messages -------------------------------------------------------------------------------------
def insert_message(db: sqlite3.Connection, spec: EntitySpec, msg: BusMessage, now: float) -> None:
    db.execute(
        f"INSERT INTO messages (entity, subscription, {_MESSAGE_COLUMNS}, visible_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            spec.entity,
            spec.subscription,
            msg.message_id,
            bytes(msg.body),
            msg.subject,
            msg.content_type,
            msg.correlation_id,
            msg.session_id,
            json.dumps(dict(msg.application_properties), default=str),
            now,
            now,
        ),
    )


def remember_message_id(
    db: sqlite3.Connection, spec: EntitySpec, message_id: str, now: float, window: float
) -> bool:
    """Record the id; False if it was already seen within the window (a duplicate)."""
    db.execute("DELETE FROM seen_ids WHERE seen_at < ?", (now - window,))
    cur = db.execute(
        "INSERT OR IGNORE INTO seen_ids VALUES (?, ?, ?, ?)",
        (spec.entity, spec.subscription, message_id, now),
    )
    return cur.rowcount > 0


_READY = "entity=? AND subscription=? AND visible_at<=? AND (lock_token IS NULL OR locked_until<=?)"


def has_ready(db: sqlite3.Connection, entity: str, subscription: str, now: float) -> bool:
    return (
        db.execute(
            f"SELECT 1 FROM messages WHERE {_READY} LIMIT 1", (entity, subscription, now, now)
        ).fetchone()
        is not None
    )


def ready_rows(db: sqlite3.Connection, entity: str, subscription: str, now: float, limit: int) -> list[Any]:
    return db.execute(
        f"SELECT * FROM messages WHERE {_READY} ORDER BY seq LIMIT ?", (entity, subscription, now, now, limit)
    ).fetchall()


def message_of(row: sqlite3.Row) -> BusMessage:
    return BusMessage(
        message_id=row["message_id"],
        body=bytes(row["body"]),
        subject=row["subject"] or "",
        content_type=row["content_type"] or "",
        correlation_id=row["correlation_id"],
        session_id=row["session_id"],
        application_properties=json.loads(row["properties"]),
    )


def leased(row: sqlite3.Row, token: str, until: float) -> LeasedMessage:
    from shared.adapters.localbus import LeasedMessage

    return LeasedMessage(
        lock_token=token,
        sequence_number=row["seq"],
        entity=row["entity"],
        subscription=row["subscription"] or None,
        message=message_of(row),
        delivery_count=row["delivery_count"] + 1,
        enqueued_at=row["enqueued_at"],
        locked_until=until,
    )


# --- dead letters ---------------------------------------------------------------------------------
def move_to_dead_letter(
    db: sqlite3.Connection, row: sqlite3.Row, now: float, reason: str, description: str
) -> None:
    db.execute(
        f"INSERT INTO dead_letters (entity, subscription, {_MESSAGE_COLUMNS}, delivery_count,"
        " dead_lettered_at, reason, description)"
        f" SELECT entity, subscription, {_MESSAGE_COLUMNS}, delivery_count, ?, ?, ? FROM messages"
        " WHERE seq=?",
        (now, reason, description[:4000], row["seq"]),
    )
    db.execute("DELETE FROM messages WHERE seq=?", (row["seq"],))


def read_dead_letters(
    db: sqlite3.Connection, entity: str | None, subscription: str | None
) -> list[DeadLetter]:
    from shared.adapters.localbus import DeadLetter

    sql, args = "SELECT * FROM dead_letters WHERE 1=1", list[str]()
    if entity is not None:
        sql, args = sql + " AND entity=?", [*args, entity]
    if subscription is not None:
        sql, args = sql + " AND subscription=?", [*args, subscription]
    return [
        DeadLetter(
            id=r["id"],
            entity=r["entity"],
            subscription=r["subscription"] or None,
            message=message_of(r),
            delivery_count=r["delivery_count"],
            enqueued_at=r["enqueued_at"],
            dead_lettered_at=r["dead_lettered_at"],
            reason=r["reason"],
            description=r["description"],
        )
        for r in db.execute(sql + " ORDER BY id", args)
    ]


def replay_dead_letter(db: sqlite3.Connection, dead_letter_id: int, now: float) -> bool:
    cur = db.execute(
        f"INSERT INTO messages (entity, subscription, {_MESSAGE_COLUMNS}, visible_at, delivery_count)"
        f" SELECT entity, subscription, {_MESSAGE_COLUMNS}, ?, 0 FROM dead_letters WHERE id=?",
        (now, dead_letter_id),
    )
    if cur.rowcount == 0:
        return False
    db.execute("DELETE FROM dead_letters WHERE id=?", (dead_letter_id,))
    return True
