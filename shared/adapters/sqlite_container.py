"""One container of the embedded document store (see sqlite_documents.py for the file layout)."""

from __future__ import annotations

import functools
import json
import re
import sqlite3
import time
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import orjson

from shared.adapters.doc_common import apply_patch, partition_key_of, strip_system, validate_id, value_types
from shared.adapters.index_policy import Composite, check_sort
from shared.adapters.sqlite_query import (
    CompiledQuery,
    Shadows,
    compile_query,
    extract,
    json_type,
    next_token,
    type_column,
    value_column,
)
from shared.ports.documents import (
    BatchFailed,
    BatchOp,
    Container,
    Document,
    DocumentExists,
    DocumentNotFound,
    DocumentStoreError,
    ETagMismatch,
    Page,
    PatchOp,
    Query,
)

if TYPE_CHECKING:
    from shared.adapters.sqlite_documents import SqliteDocumentStore

MAX_BATCH = 100  # Cosmos' limit; keep the embedded adapter from accepting what Azure would refuse


def _stdlib_dumps(document: object) -> str:
    # allow_nan=False: NaN/Infinity are not JSON and Cosmos would refuse them too.
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def encode(document: object) -> tuple[str, Any]:
    """Python -> (stored JSON text, a fresh decoded copy of it), with the stdlib's semantics.

    orjson encodes about ten times faster than `json.dumps` (the order stream's writes spent 13%
    of their time there, docs/performance.md round 3), but it writes NaN/Infinity as `null` and
    encodes types the stdlib refuses (datetime, UUID, dataclasses, plain Enum members). So its text
    is decoded again (the write returns a fresh copy anyway) and kept only when that copy equals
    the document; otherwise, and for what orjson refuses (integers beyond 64 bits, non-string
    keys), the stdlib encodes: the same ValueError for NaN/Infinity, TypeError for the rest, its
    text for what it accepts. Text from either is compact JSON with the keys in insertion order.
    """
    try:
        raw = orjson.dumps(document)
    except orjson.JSONEncodeError:
        text = _stdlib_dumps(document)
        return text, parse(text)
    value = orjson.loads(raw)
    if value != document:
        text = _stdlib_dumps(document)
        return text, parse(text)
    return raw.decode(), value


def dumps(document: object) -> str:
    return encode(document)[0]


def parse(body: str) -> Any:
    """Stored JSON text -> Python, with orjson: several times faster than `json.loads`, and
    decoding bodies was the largest single cost of an uncached listing (docs/performance.md).
    What orjson refuses but the stdlib reads (integers beyond 64 bits) falls back to `json`."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        return json.loads(body)


def read_shadows(conn: sqlite3.Connection, table: str) -> Shadows:
    """The shadow columns the table has (hidden generated columns named `v:<path>` / `t:<path>`)."""
    names = [str(row[1]) for row in conn.execute(f'PRAGMA table_xinfo("{table}")')]
    return Shadows(
        frozenset(n[2:] for n in names if n.startswith("v:")),
        frozenset(n[2:] for n in names if n.startswith("t:")),
    )


_PATH_SQL = re.compile(r"""json_extract\(body, '\$\.((?:"[A-Za-z_][A-Za-z0-9_]*"\.?)+)'\)""")


def _expression_paths(sql: str) -> list[str]:
    """The paths of an index on `json_extract(body, ...)` expressions (what this adapter created
    before the shadow columns); [] for an index on columns."""
    return [match.group(1).replace('"', "") for match in _PATH_SQL.finditer(sql)]


def _on_columns(sql: str) -> str:
    """An index's DDL with each `json_extract(body, path)` replaced by the path's value column."""
    return _PATH_SQL.sub(lambda m: value_column(m.group(1).replace('"', "")), sql)


def _prefixes(path: str) -> list[str]:
    parts = path.split(".")
    return [".".join(parts[:n]) for n in range(1, len(parts))]


def _compile(
    table: str,
    query: Query,
    partition_key: str | None,
    max_items: int,
    token: str | None,
    shadows: Shadows,
    body: bool,
    types: tuple[Any, ...] = (),
) -> CompiledQuery:
    """`types`: the query's value types (doc_common.value_types), part of the memo's key only."""
    return compile_query(
        table,
        query,
        partition_key=partition_key,
        max_items=max_items,
        token=token,
        shadows=shadows,
        body=body,
    )


# The SQL of a query is a pure function of it (and of the table's columns): a listing asks the
# same few queries again and again (its stock query alone was 12% of an uncached page's Python
# time, building 20 typed terms). Hits share the CompiledQuery: nothing may change its params.
_compiled = functools.lru_cache(maxsize=1024)(_compile)


def _loads(body: str, etag: str, ts: int) -> Document:
    document: Document = parse(body)
    document["_etag"] = etag
    document["_ts"] = ts
    return document


class SqliteContainer(Container):
    def __init__(self, store: SqliteDocumentStore, name: str, partition_key_path: str, table: str) -> None:
        self.store = store
        self.name = name
        self.partition_key_path = partition_key_path
        self.table = table
        self.indexes: set[str] = set()
        self.composites: tuple[Composite, ...] | None = None  # declared sorts (index_policy)
        # The table's shadow columns (sqlite_query.py), as far as this process knows: another
        # process may have added more, which this one's queries then compute from the body.
        # Read on the writer's connection: a reader that loads the schema now and sees indexes
        # created later plans some queries as if they were not there (SQLite 3.40, main too).
        with store.write() as conn:
            self.shadows = read_shadows(conn, table)

    def add_indexes(self, paths: Sequence[str]) -> None:
        """One index per entry. An entry may name several paths separated by commas
        ("status,name"): a composite index, for a query with an equality filter on the first and
        an ORDER BY on the next, which SQLite then reads in order and stops at the page size
        instead of sorting every match (Cosmos needs no such declaration: the port ignores it).

        The indexes are on shadow columns (sqlite_query.py): each declared path becomes a stored
        generated column of the table, so SQLite keeps it equal to the body on every write, by
        any writer, and queries read it instead of parsing the body's JSON per candidate row."""
        entries = [[part.strip() for part in path.split(",")] for path in paths]
        with self.store.write() as conn:
            self.shadows = self._ensure_shadows(conn, [p for parts in entries for p in parts])
            for path, parts in zip(paths, entries, strict=True):
                # `__kx_`: (paths, id, pk), the keyset order of sorted queries (the former `__ix_`
                # indexes ended in pk, id and no longer serve it; new names, so databases upgrade).
                index = f"{self.table}__kx_" + re.sub(r"[^A-Za-z0-9_]", "_", path)
                columns = ", ".join(value_column(part) for part in parts)
                conn.execute(f'CREATE INDEX IF NOT EXISTS "{index}" ON "{self.table}" ({columns}, id, pk)')
        self.indexes.update(paths)

    # --- shadow columns -------------------------------------------------------------------------
    def _ensure_shadows(self, conn: sqlite3.Connection, paths: Sequence[str]) -> Shadows:
        """Make the table have a value and a type column for each path (and a type column for each
        prefix of a dotted path: `_outbox` of `_outbox.seq`, for `defined`/`undefined`), and its
        indexes read columns; returns the columns it has. Inside the caller's write transaction,
        so two processes declaring at once do it one after the other."""
        have = read_shadows(conn, self.table)
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL",
            (self.table,),
        ).fetchall()
        # Expression indexes of an older version of this adapter: their paths become columns too,
        # and the indexes are rebuilt on the columns (same order, same rows).
        legacy = [p for _, sql in indexes for p in _expression_paths(sql)]
        values = have.values | {*paths, *legacy}
        types = have.types | values | {prefix for p in values for prefix in _prefixes(p)}
        want = Shadows(frozenset(values), frozenset(types))
        if want != have:
            self._rebuild(conn, want, indexes)
        else:
            for name, sql in indexes:
                if _expression_paths(sql):
                    conn.execute(f'DROP INDEX "{name}"')
                    conn.execute(_on_columns(sql))
        return want

    def _rebuild(self, conn: sqlite3.Connection, shadows: Shadows, indexes: list[tuple[str, str]]) -> None:
        """SQLite cannot add a stored generated column to a table: a new table with the columns,
        the rows copied over, the old table dropped, the new one renamed, its indexes recreated
        (on columns). One transaction: readers see the old table or the new one."""
        old = f"{self.table}__old"
        generated = [
            f"{value_column(p)} GENERATED ALWAYS AS ({extract(p)}) STORED" for p in sorted(shadows.values)
        ] + [f"{type_column(p)} GENERATED ALWAYS AS ({json_type(p)}) STORED" for p in sorted(shadows.types)]
        conn.execute(f'DROP TABLE IF EXISTS "{old}"')
        conn.execute(f'ALTER TABLE "{self.table}" RENAME TO "{old}"')
        conn.execute(
            f'CREATE TABLE "{self.table}" (pk TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL,'
            " etag TEXT NOT NULL, seq INTEGER NOT NULL, ts INTEGER NOT NULL, "
            + "".join(f"{column}, " for column in generated)
            + "PRIMARY KEY (pk, id))"
        )
        conn.execute(
            f'INSERT INTO "{self.table}" (pk, id, body, etag, seq, ts)'
            f' SELECT pk, id, body, etag, seq, ts FROM "{old}"'
        )
        conn.execute(f'DROP TABLE "{old}"')
        for _, sql in indexes:
            conn.execute(_on_columns(sql))

    # --- single operations: each its own transaction ------------------------------------------
    def create(self, document: Document) -> Document:
        with self.store.write() as conn:
            return self._create(conn, document)

    def read(self, id: str, partition_key: str) -> Document:
        row = (
            self.store.connection()
            .execute(
                f'SELECT body, etag, ts FROM "{self.table}" WHERE pk = ? AND id = ?', (partition_key, id)
            )
            .fetchone()
        )
        if row is None:
            raise DocumentNotFound(f"{self.name}/{partition_key}/{id}")
        return _loads(*row)

    def upsert(self, document: Document, *, if_match: str | None = None) -> Document:
        with self.store.write() as conn:
            return self._upsert(conn, document, if_match)

    def replace(self, document: Document, *, if_match: str | None = None) -> Document:
        with self.store.write() as conn:
            return self._replace(conn, document, if_match)

    def delete(self, id: str, partition_key: str, *, if_match: str | None = None) -> None:
        with self.store.write() as conn:
            self._delete(conn, id, partition_key, if_match)

    def patch(
        self, id: str, partition_key: str, operations: Sequence[PatchOp], *, if_match: str | None = None
    ) -> Document:
        with self.store.write() as conn:
            return self._patch(conn, id, partition_key, operations, if_match)

    def query(
        self,
        query: Query,
        *,
        partition_key: str | None = None,
        max_items: int = 100,
        continuation_token: str | None = None,
    ) -> Page:
        rows, token = self._rows(query, partition_key, max_items, continuation_token, body=True)
        return Page([_loads(r[2], r[3], r[4]) for r in rows], token)

    def query_versions(
        self,
        query: Query,
        *,
        partition_key: str | None = None,
        max_items: int = 100,
        continuation_token: str | None = None,
    ) -> Page:
        """The port's version-only query, without reading or decoding any body."""
        rows, token = self._rows(query, partition_key, max_items, continuation_token, body=False)
        return Page([{"id": r[1], "_pk": r[0], "_etag": r[3]} for r in rows], token)

    def _rows(
        self, query: Query, partition_key: str | None, max_items: int, token: str | None, *, body: bool
    ) -> tuple[list[Any], str | None]:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        check_sort(self.name, self.composites, query)
        args = (self.table, query, partition_key, max_items, token, self.shadows, body)
        try:
            # Keyed with the value types too: equal queries (True == 1) may compile differently.
            compiled = _compiled(*args, value_types(query))
        except TypeError:  # a filter value that cannot be hashed (a list): compiled each time
            compiled = _compile(*args)
        rows = self.store.connection().execute(compiled.sql, compiled.params).fetchall()
        more = len(rows) > max_items
        rows = rows[:max_items]
        return rows, next_token(query, partition_key, rows[-1], compiled.key_count) if more else None

    def batch(self, partition_key: str, operations: Sequence[BatchOp]) -> list[Document | None]:
        if not operations or len(operations) > MAX_BATCH:
            raise ValueError(f"a batch holds 1 to {MAX_BATCH} operations")
        results: list[Document | None] = []
        with self.store.write() as conn:
            for index, op in enumerate(operations):
                try:
                    results.append(self._batch_op(conn, partition_key, op))
                except DocumentStoreError as exc:
                    raise BatchFailed(index, exc) from exc
        return results

    def _batch_op(self, conn: sqlite3.Connection, partition_key: str, op: BatchOp) -> Document | None:
        if op.kind in ("create", "upsert", "replace"):
            if op.document is None:
                raise ValueError(f"batch {op.kind} needs a document")
            if partition_key_of(op.document, self.partition_key_path) != partition_key:
                raise ValueError("every document in a batch must be in the batch's partition")
            if op.kind == "create":
                return self._create(conn, op.document)
            if op.kind == "upsert":
                return self._upsert(conn, op.document, op.if_match)
            return self._replace(conn, op.document, op.if_match)
        if op.id is None:
            raise ValueError(f"batch {op.kind} needs an id")
        if op.kind == "delete":
            self._delete(conn, op.id, partition_key, op.if_match)
            return None
        return self._patch(conn, op.id, partition_key, op.patch, op.if_match)

    # --- the writes, inside a caller's transaction ---------------------------------------------
    def _current(self, conn: sqlite3.Connection, pk: str, id: str) -> tuple[str, str] | None:
        row = conn.execute(
            f'SELECT body, etag FROM "{self.table}" WHERE pk = ? AND id = ?', (pk, id)
        ).fetchone()
        return (row[0], row[1]) if row else None

    def _key(self, document: Document) -> tuple[str, str]:
        return partition_key_of(document, self.partition_key_path), validate_id(document.get("id"))

    def _write(self, conn: sqlite3.Connection, document: Document) -> Document:
        pk, id = self._key(document)
        body = strip_system(document)
        text, copy = encode(body)
        seq = self.store.next_seq(conn)
        etag, ts = f'"{seq:016x}"', int(time.time())
        conn.execute(
            f'INSERT INTO "{self.table}" (pk, id, body, etag, seq, ts) VALUES (?, ?, ?, ?, ?, ?)'
            " ON CONFLICT (pk, id) DO UPDATE SET body = excluded.body, etag = excluded.etag,"
            " seq = excluded.seq, ts = excluded.ts",
            (pk, id, text, etag, seq, ts),
        )
        written: Document = copy  # a fresh copy: the caller's dict is never aliased
        written["_etag"] = etag
        written["_ts"] = ts
        return written

    def _create(self, conn: sqlite3.Connection, document: Document) -> Document:
        pk, id = self._key(document)
        if self._current(conn, pk, id) is not None:
            raise DocumentExists(f"{self.name}/{pk}/{id}")
        return self._write(conn, document)

    def _check(
        self, current: tuple[str, str] | None, where: str, if_match: str | None, *, must_exist: bool
    ) -> None:
        if current is None and must_exist:
            raise DocumentNotFound(where)
        if if_match is not None and (current is None or current[1] != if_match):
            raise ETagMismatch(where)

    def _upsert(self, conn: sqlite3.Connection, document: Document, if_match: str | None) -> Document:
        pk, id = self._key(document)
        self._check(self._current(conn, pk, id), f"{self.name}/{pk}/{id}", if_match, must_exist=False)
        return self._write(conn, document)

    def _replace(self, conn: sqlite3.Connection, document: Document, if_match: str | None) -> Document:
        pk, id = self._key(document)
        self._check(self._current(conn, pk, id), f"{self.name}/{pk}/{id}", if_match, must_exist=True)
        return self._write(conn, document)

    def _delete(self, conn: sqlite3.Connection, id: str, pk: str, if_match: str | None) -> None:
        self._check(self._current(conn, pk, id), f"{self.name}/{pk}/{id}", if_match, must_exist=True)
        conn.execute(f'DELETE FROM "{self.table}" WHERE pk = ? AND id = ?', (pk, id))

    def _patch(
        self, conn: sqlite3.Connection, id: str, pk: str, operations: Sequence[PatchOp], if_match: str | None
    ) -> Document:
        current = self._current(conn, pk, id)
        self._check(current, f"{self.name}/{pk}/{id}", if_match, must_exist=True)
        assert current is not None
        document: Any = parse(current[0])
        return self._write(conn, apply_patch(document, operations, self.partition_key_path))
