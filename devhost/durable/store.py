"""SQLite persistence for the durable engine (`<data-dir>/durable.db`): the schema, instance rows
and history. The message queue that shares the file is in `messages.py`.

An episode locks its instance row (`lock_owner`, `lock_until`) and writes it back only if its
`version` is unchanged, so a terminate or another process in between wins and the episode's
results are dropped.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost.durable.partitions import partition_of
from shared.adapters.sqlite_writer import writer_lock
from shared.storage.files import ensure_private_file

SCHEMA = """
CREATE TABLE IF NOT EXISTS instances (
    instance_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    execution_id TEXT NOT NULL,
    generation INTEGER NOT NULL DEFAULT 0,
    status TEXT NOT NULL,
    input TEXT,
    output TEXT,
    custom_status TEXT,
    parent_instance_id TEXT,
    parent_task_id INTEGER,
    parent_execution_id TEXT,
    parent_retry TEXT,
    next_task_id INTEGER NOT NULL DEFAULT 0,
    actions TEXT NOT NULL DEFAULT '[]',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    lock_owner TEXT,
    lock_until REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS instances_status ON instances(status);
CREATE TABLE IF NOT EXISTS history (
    instance_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    sdk INTEGER NOT NULL,
    event TEXT NOT NULL,
    PRIMARY KEY (instance_id, seq)
);
CREATE TABLE IF NOT EXISTS messages (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    instance_id TEXT NOT NULL,
    execution_id TEXT,
    task_id INTEGER,
    payload TEXT NOT NULL,
    visible_at REAL NOT NULL,
    lease_owner TEXT,
    lease_until REAL NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS messages_ready ON messages(kind, visible_at);
CREATE INDEX IF NOT EXISTS messages_instance ON messages(instance_id, kind);
"""

TERMINAL = frozenset({"Completed", "Failed", "Terminated"})
_COLUMNS = [
    "instance_id",
    "name",
    "execution_id",
    "generation",
    "status",
    "input",
    "output",
    "custom_status",
    "parent_instance_id",
    "parent_task_id",
    "parent_execution_id",
    "parent_retry",
    "next_task_id",
    "actions",
    "created_at",
    "updated_at",
    "version",
]


@dataclass
class Instance:
    instance_id: str
    name: str
    execution_id: str
    generation: int
    status: str
    input: str | None
    output: str | None
    custom_status: str | None
    parent_instance_id: str | None
    parent_task_id: int | None
    parent_execution_id: str | None
    parent_retry: str | None  # JSON retry bookkeeping when the parent called this with retries
    next_task_id: int
    actions: str
    created_at: str
    updated_at: str
    version: int

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL


@dataclass
class Message:
    id: int
    kind: str
    instance_id: str
    execution_id: str | None
    task_id: int | None
    payload: dict[str, Any]


class Store:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        ensure_private_file(path)  # instance inputs and outputs hold customer data
        # Autocommit mode with explicit BEGIN IMMEDIATE: every write is one short transaction.
        self.db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False, timeout=10)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        # The partition of an instance id (devhost/durable/partitions.py), for the queue's reads.
        self.db.create_function("dh_partition", 2, partition_of, deterministic=True)
        # Writes across devhost worker processes queue on a lock file, not in SQLite's sleeping
        # busy handler (shared/adapters/sqlite_writer.py).
        self._writer = writer_lock(path)

    def close(self) -> None:
        self.db.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        with self._writer:
            self.db.execute("BEGIN IMMEDIATE")
            try:
                yield self.db
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # --- instances --------------------------------------------------------------------------
    def get(self, instance_id: str) -> Instance | None:
        row = self.db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM instances WHERE instance_id = ?", (instance_id,)
        ).fetchone()
        return Instance(*row) if row else None

    def list_instances(
        self,
        statuses: list[str] | None = None,
        prefix: str | None = None,
        created_from: str | None = None,
        created_to: str | None = None,
        limit: int = 1000,
    ) -> list[Instance]:
        where, args = ["1=1"], []
        if statuses:
            where.append(f"status IN ({', '.join('?' for _ in statuses)})")
            args += statuses
        if prefix:
            where.append("instance_id LIKE ? ESCAPE '\\'")
            args.append(prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
        if created_from:
            where.append("created_at >= ?")
            args.append(created_from)
        if created_to:
            where.append("created_at <= ?")
            args.append(created_to)
        sql = f"SELECT {', '.join(_COLUMNS)} FROM instances WHERE {' AND '.join(where)} "
        rows = self.db.execute(sql + "ORDER BY created_at, instance_id LIMIT ?", (*args, limit)).fetchall()
        return [Instance(*r) for r in rows]

    def insert_instance(self, db: sqlite3.Connection, inst: Instance) -> None:
        values = [getattr(inst, c) for c in _COLUMNS]
        marks = ", ".join("?" for _ in _COLUMNS)
        db.execute(f"INSERT OR REPLACE INTO instances ({', '.join(_COLUMNS)}) VALUES ({marks})", values)

    def update_instance(self, db: sqlite3.Connection, inst: Instance, expected_version: int) -> bool:
        """Write the row only if nobody else (terminate, another process) changed it meanwhile."""
        cols = [c for c in _COLUMNS if c != "instance_id"]
        cur = db.execute(
            f"UPDATE instances SET {', '.join(c + ' = ?' for c in cols)}, lock_owner = NULL, lock_until = 0 "
            "WHERE instance_id = ? AND version = ?",
            [getattr(inst, c) for c in cols] + [inst.instance_id, expected_version],
        )
        return cur.rowcount == 1

    def lock(self, instance_id: str, owner: str, now: float, seconds: float) -> bool:
        with self._writer:
            cur = self.db.execute(
                "UPDATE instances SET lock_owner = ?, lock_until = ? "
                "WHERE instance_id = ? AND (lock_owner IS NULL OR lock_until < ?)",
                (owner, now + seconds, instance_id, now),
            )
        return cur.rowcount == 1

    def unlock(self, instance_id: str, owner: str) -> None:
        with self._writer:
            self.db.execute(
                "UPDATE instances SET lock_owner = NULL, lock_until = 0 "
                "WHERE instance_id = ? AND lock_owner = ?",
                (instance_id, owner),
            )

    def delete_instance(self, db: sqlite3.Connection, instance_id: str) -> int:
        db.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))
        db.execute("DELETE FROM messages WHERE instance_id = ?", (instance_id,))
        return db.execute("DELETE FROM instances WHERE instance_id = ?", (instance_id,)).rowcount

    # --- history ----------------------------------------------------------------------------
    def history(self, instance_id: str, sdk_only: bool) -> list[str]:
        sql = "SELECT event FROM history WHERE instance_id = ?" + (" AND sdk = 1" if sdk_only else "")
        return [r[0] for r in self.db.execute(sql + " ORDER BY seq", (instance_id,))]

    def append_history(
        self, db: sqlite3.Connection, instance_id: str, events: list[tuple[bool, str]]
    ) -> None:
        row = db.execute("SELECT COALESCE(MAX(seq), -1) FROM history WHERE instance_id = ?", (instance_id,))
        start = int(row.fetchone()[0]) + 1
        db.executemany(
            "INSERT INTO history (instance_id, seq, sdk, event) VALUES (?, ?, ?, ?)",
            [(instance_id, start + i, int(sdk), text) for i, (sdk, text) in enumerate(events)],
        )

    def clear_history(self, db: sqlite3.Connection, instance_id: str) -> None:
        db.execute("DELETE FROM history WHERE instance_id = ?", (instance_id,))
