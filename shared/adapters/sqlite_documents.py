"""Embedded document store: one SQLite file `<data-dir>/documents.db`, a table per container.

Why this shape: a table per container lets indexes on its declared paths (stored generated
columns of `json_extract(body, ...)`, sqlite_container.py) serve queries directly (a shared table
would need partial indexes the planner cannot match against a bound container parameter). WAL
lets readers run beside one writer; every write is a `BEGIN IMMEDIATE` transaction so several
threads and processes serialize on the file lock instead of failing half way; `busy_timeout`
makes them wait rather than error. A global change sequence
(`_meta.seq`) stamps every write: it is the ETag and gives a total order of changes.

Writers of one process take a process-wide lock per file before `BEGIN IMMEDIATE` (see
sqlite_writer.py: SQLite's own busy wait sleeps in coarse steps) and share one writer connection;
`busy_timeout` still covers other processes. Reads use a connection per thread (WAL: they never
wait for the writer).
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from shared.adapters.index_policy import composites_for
from shared.adapters.sqlite_container import SqliteContainer
from shared.adapters.sqlite_writer import writer_lock
from shared.ports.documents import Container, DocumentStore
from shared.storage.files import ensure_private_file

_CONTAINER_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,120}$")
BUSY_TIMEOUT_MS = 30_000


class SqliteDocumentStore(DocumentStore):
    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        ensure_private_file(self.path)
        self._local = threading.local()
        self._lock = threading.Lock()
        # (pid, writer lock, writer connection), made on the first write in each process.
        self._writer: tuple[int, threading.RLock, sqlite3.Connection | None] | None = None
        self._containers: dict[str, SqliteContainer] = {}
        with self.write() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS _meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL)")
            conn.execute("INSERT OR IGNORE INTO _meta (key, value) VALUES ('seq', 0)")
            conn.execute(
                "CREATE TABLE IF NOT EXISTS _containers (name TEXT PRIMARY KEY, pk_path TEXT NOT NULL)"
            )

    # --- connections ----------------------------------------------------------------------------
    def connection(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections must not be shared across threads; a
        forked child must not reuse its parent's)."""
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = self._open()
            self._local.conn, self._local.pid = conn, os.getpid()
        return conn

    def _open(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        self._set_wal(conn)
        conn.execute("PRAGMA synchronous = NORMAL")  # WAL + NORMAL: durable across process crashes
        return conn

    def _writer_lock(self) -> threading.RLock:
        writer = self._writer
        if writer is None or writer[0] != os.getpid():
            writer = self._writer = (os.getpid(), writer_lock(self.path), None)
        return writer[1]

    def _writer_connection(self) -> sqlite3.Connection:
        """The one connection this process writes the file with (only under the writer lock)."""
        assert self._writer is not None
        pid, lock, conn = self._writer
        if conn is None:
            conn = self._open()
            self._writer = (pid, lock, conn)
        return conn

    @staticmethod
    def _set_wal(conn: sqlite3.Connection) -> None:
        # Switching to WAL needs a moment of exclusive access; a concurrent opener may hold it.
        deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
        while True:
            try:
                conn.execute("PRAGMA journal_mode = WAL")
                return
            except sqlite3.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.01)

    @contextmanager
    def write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. IMMEDIATE takes the write lock up front, so a read-then-write
        inside it can never hit SQLITE_BUSY half way (which DEFERRED would on lock upgrade)."""
        with self._writer_lock():
            conn = self._writer_connection()
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    @staticmethod
    def next_seq(conn: sqlite3.Connection) -> int:
        row = conn.execute("UPDATE _meta SET value = value + 1 WHERE key = 'seq' RETURNING value").fetchone()
        return int(row[0])

    # --- the port -------------------------------------------------------------------------------
    def container(self, name: str, partition_key_path: str, *, indexes: Sequence[str] = ()) -> Container:
        if not _CONTAINER_NAME.match(name):
            raise ValueError(f"invalid container name {name!r}")
        with self._lock:
            existing = self._containers.get(name)
            if existing is None or existing.partition_key_path != partition_key_path:
                existing = self._open_container(name, partition_key_path)
                self._containers[name] = existing
            missing = [p for p in indexes if p not in existing.indexes]
            # Declared sorts (infra/containers.json, see index_policy): one (paths, id, pk) index each.
            composites = composites_for(name, sorted({*existing.indexes, *indexes}))
            for composite in composites or ():
                entry = ",".join(path for path, _ in composite if path != "id")
                if entry and entry not in existing.indexes and entry not in missing:
                    missing.append(entry)
            if missing:
                existing.add_indexes(missing)
            existing.composites = composites
            return existing

    def _open_container(self, name: str, partition_key_path: str) -> SqliteContainer:
        table = f"c_{name}"
        with self.write() as conn:
            row = conn.execute("SELECT pk_path FROM _containers WHERE name = ?", (name,)).fetchone()
            if row and row[0] != partition_key_path:
                raise ValueError(f"container {name} exists with partition key {row[0]}")
            conn.execute(
                "INSERT OR IGNORE INTO _containers (name, pk_path) VALUES (?, ?)", (name, partition_key_path)
            )
            conn.execute(
                f'CREATE TABLE IF NOT EXISTS "{table}" (pk TEXT NOT NULL, id TEXT NOT NULL,'
                " body TEXT NOT NULL, etag TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL,"
                " PRIMARY KEY (pk, id))"
            )
            conn.execute(f'CREATE INDEX IF NOT EXISTS "{table}__seq" ON "{table}" (seq)')
        return SqliteContainer(self, name, partition_key_path, table)

    def health(self) -> None:
        self.connection().execute("SELECT 1 FROM _meta").fetchone()

    def close(self) -> None:
        """Close this thread's connection (others close when their threads end)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        with self._writer_lock():
            assert self._writer is not None
            pid, lock, writer = self._writer
            if writer is not None:
                writer.close()
                self._writer = (pid, lock, None)
