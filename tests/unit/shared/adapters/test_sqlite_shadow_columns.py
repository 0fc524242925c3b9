"""Shadow columns of the SQLite adapter: each declared index path is a stored generated column, the
queries read it instead of parsing the body, and the answers are the ones the JSON expressions give
(type guards, missing paths, booleans, nested paths), on new tables, on upgraded ones and whoever
writes the rows."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from shared.adapters.sqlite_container import SqliteContainer
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.adapters.sqlite_query import NO_SHADOWS, compile_query
from shared.ports.documents import Filter, PatchOp, Query

DOCS: list[dict[str, Any]] = [
    {"id": "a", "pk": "p", "status": "active", "rank": 3, "price": {"amount": 10}, "name": "n1"},
    {"id": "b", "pk": "p", "status": "active", "rank": 3.5, "price": {"amount": 20}, "name": "n2"},
    {"id": "c", "pk": "q", "status": True, "rank": "3", "price": {"amount": "10"}, "name": "n3"},
    {"id": "d", "pk": "q", "status": None, "rank": 1, "price": None, "name": "n4"},
    {"id": "e", "pk": "q", "rank": 2, "name": "n5"},  # no status, no price
    {"id": "f", "pk": "r", "status": "draft", "rank": True, "price": {"amount": 30.5}, "name": "n6"},
]

QUERIES = [
    Query(where=(Filter("status", "=", "active"),)),
    Query(where=(Filter("status", "=", True),)),
    Query(where=(Filter("status", "=", None),)),
    Query(where=(Filter("status", "!=", "active"),)),
    Query(where=(Filter("status", "undefined"),)),
    Query(where=(Filter("status", "defined"),)),
    Query(where=(Filter("rank", ">=", 3),)),
    Query(where=(Filter("rank", "=", 1),)),
    Query(where=(Filter("rank", "<", "4"),)),
    Query(where=(Filter("price.amount", "in", [10, "10", 30.5]),)),
    Query(where=(Filter("price", "undefined"),)),
    Query(where=(Filter("price", "defined"),)),
    Query(where=(Filter("status", "startswith", "dr"),)),
    Query(where=(Filter("status", "in", []),)),
    Query(where=(Filter("rank", ">", 0),), order_by=(("rank", "desc"),)),
    Query(order_by=(("name", "asc"),)),
]
INDEXES = ("status", "rank", "price.amount", "name", "status,name")


def _ids(container: Any, query: Query, page: int = 2) -> list[str]:
    """Every id the query answers, through its pages (keyset tokens included)."""
    ids: list[str] = []
    token = None
    while True:
        result = container.query(query, max_items=page, continuation_token=token)
        ids += [d["id"] for d in result.items]
        token = result.continuation_token
        if token is None:
            return ids


def _filled(tmp_path: Path, name: str, *, columns: bool = True) -> tuple[SqliteDocumentStore, Any]:
    """The DOCS in a container declaring INDEXES; `columns=False`: its queries compiled on the JSON
    expressions, as before the shadow columns (the reference answers)."""
    store = SqliteDocumentStore(tmp_path / f"{name}.db")
    container = store.container("things", "/pk", indexes=INDEXES)
    assert isinstance(container, SqliteContainer)
    if not columns:
        container.shadows = NO_SHADOWS
    for doc in DOCS:
        container.create(dict(doc))
    return store, container


def test_queries_on_shadow_columns_answer_what_the_json_expressions_answer(tmp_path: Path) -> None:
    plain_store, plain = _filled(tmp_path, "plain", columns=False)
    store, shadowed = _filled(tmp_path, "shadowed")
    assert {"status", "rank", "price.amount", "name"} <= shadowed.shadows.values
    assert {"price", "_outbox"} <= shadowed.shadows.types  # prefixes: defined / undefined
    for query in QUERIES:
        compiled = compile_query(
            "c_things", query, partition_key=None, max_items=5, token=None, shadows=shadowed.shadows
        )
        assert "json_extract" not in compiled.sql and "json_type" not in compiled.sql, compiled.sql
        assert _ids(shadowed, query) == _ids(plain, query), query
    store.close()
    plain_store.close()


def test_the_columns_follow_every_write_whoever_makes_it(tmp_path: Path) -> None:
    store, container = _filled(tmp_path, "writes")
    active = Query(where=(Filter("status", "=", "active"),))
    container.upsert({"id": "d", "pk": "q", "status": "active", "rank": 9, "name": "n4"})
    container.patch("f", "r", [PatchOp("set", "/status", "active")])
    container.patch("c", "q", [PatchOp("set", "/status", "active")])
    container.patch("c", "q", [PatchOp("remove", "/status")])
    container.delete("b", "p")
    assert _ids(container, active) == ["a", "d", "f"]
    # A writer that knows nothing of the columns (another process on older code, a tool):
    # SQLite computes them from the body it writes.
    raw = sqlite3.connect(store.path)
    raw.execute(
        "INSERT INTO c_things (pk, id, body, etag, seq, ts) VALUES ('z', 'z', ?, '\"x\"', 999, 0)",
        ('{"id":"z","pk":"z","status":"active","name":"n0"}',),
    )
    raw.execute('UPDATE c_things SET body = \'{"id":"a","pk":"p","status":"gone"}\' WHERE id = \'a\'')
    raw.commit()
    raw.close()
    assert _ids(container, active) == ["d", "f", "z"]
    store.close()


def test_a_database_of_the_expression_index_adapter_is_upgraded_in_place(tmp_path: Path) -> None:
    """The table and indexes an older adapter made (expression indexes, no columns): opened by this
    one, the rows stay, the indexes are rebuilt on columns, and the answers do not change."""
    path = tmp_path / "old.db"
    SqliteDocumentStore(path).close()
    raw = sqlite3.connect(path)
    raw.execute(
        'CREATE TABLE "c_things" (pk TEXT NOT NULL, id TEXT NOT NULL, body TEXT NOT NULL, etag TEXT NOT NULL,'
        " seq INTEGER NOT NULL, ts INTEGER NOT NULL, PRIMARY KEY (pk, id))"
    )
    raw.execute('CREATE INDEX "c_things__seq" ON "c_things" (seq)')
    raw.execute(
        """CREATE INDEX "c_things__kx_status_name" ON "c_things" (json_extract(body, '$."status"'),"""
        """ json_extract(body, '$."name"'), id, pk)"""
    )
    raw.execute("INSERT INTO _containers (name, pk_path) VALUES ('things', '/pk')")
    for seq, doc in enumerate(DOCS, start=1):
        raw.execute(
            "INSERT INTO c_things (pk, id, body, etag, seq, ts) VALUES (?, ?, ?, ?, ?, 0)",
            (doc["pk"], doc["id"], json.dumps(doc), f'"{seq:016x}"', seq),
        )
    raw.commit()
    raw.close()

    plain_store, plain = _filled(tmp_path, "plain", columns=False)
    store = SqliteDocumentStore(path)
    upgraded = store.container("things", "/pk", indexes=INDEXES)
    assert isinstance(upgraded, SqliteContainer)
    assert {"status", "name", "rank"} <= upgraded.shadows.values
    indexes = dict(store.connection().execute("SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
    assert "json_extract" not in indexes["c_things__kx_status_name"], indexes
    assert '"v:status", "v:name"' in indexes["c_things__kx_status_name"]
    assert {"c_things__seq", "c_things__kx_rank"} <= indexes.keys()
    assert upgraded.read("a", "p")["_etag"] == f'"{1:016x}"'  # rows, ETags and sequence kept
    for query in QUERIES:
        assert _ids(upgraded, query) == _ids(plain, query), query
    store.close()
    plain_store.close()


def test_another_process_declaring_more_columns_leaves_this_one_correct(tmp_path: Path) -> None:
    """A opened the container knowing no `price.amount` column; B adds it (a rebuild of the table).
    A's queries compute it from the body; the rows A writes afterwards fill B's column all the same."""
    path = tmp_path / "shared.db"
    a_store = SqliteDocumentStore(path)
    a = a_store.container("things", "/pk", indexes=("status",))
    for doc in DOCS[:3]:
        a.create(dict(doc))
    b_store = SqliteDocumentStore(path)
    b = b_store.container("things", "/pk", indexes=("status", "price.amount"))
    assert isinstance(a, SqliteContainer) and isinstance(b, SqliteContainer)
    assert "price.amount" not in a.shadows.values and "price.amount" in b.shadows.values
    for doc in DOCS[3:]:
        a.create(dict(doc))
    a.upsert({"id": "a", "pk": "p", "price": {"amount": 5}})
    priced = Query(where=(Filter("price.amount", ">=", 10),))
    assert _ids(a, priced) == _ids(b, priced) == ["b", "f"]
    a_store.close()
    b_store.close()


def test_without_columns_the_expressions_are_compiled() -> None:
    query = Query(where=(Filter("status", "=", "x"),))
    compiled = compile_query("c_t", query, partition_key=None, max_items=1, token=None, shadows=NO_SHADOWS)
    assert "json_extract(body, '$.\"status\"')" in compiled.sql
