"""Query compilation for the SQLite adapter: parameters, index use, keyset paging."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.sqlite_container import SqliteContainer
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.adapters.sqlite_query import compile_query
from shared.ports.documents import Filter, Query


def test_values_are_bound_and_paging_is_keyset_not_offset() -> None:
    q = Query(
        where=[Filter("status", "=", "x' OR 1=1"), Filter("price.amount", ">", 5)], order_by=[("name", "asc")]
    )
    compiled = compile_query("c_t", q, partition_key="p", max_items=10, token=None)
    assert "x' OR 1=1" not in compiled.sql
    assert compiled.params[:3] == ["p", "x' OR 1=1", 5]
    assert "OFFSET" not in compiled.sql.upper()
    assert compiled.sql.endswith("LIMIT ?") and compiled.params[-1] == 11


def test_declared_indexes_serve_equality_and_range_filters(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "documents.db")
    c = store.container("products", "/pk", indexes=("status", "price.amount"))
    assert isinstance(c, SqliteContainer)
    for i in range(50):
        c.create(
            {
                "id": f"d{i}",
                "pk": f"p{i % 5}",
                "status": "active" if i % 2 else "draft",
                "price": {"amount": i},
            }
        )
    # A range filter uses its index when the query sorts on that field too (otherwise SQLite
    # rather walks the primary key in the default (pk, id) order to avoid a sort).
    queries = [
        Query(where=[Filter("status", "=", "active")]),
        Query(where=[Filter("price.amount", ">=", 40)], order_by=[("price.amount", "desc")]),
    ]
    for query in queries:
        compiled = compile_query(
            "c_products", query, partition_key=None, max_items=10, token=None, shadows=c.shadows
        )
        plan = " ".join(
            str(row)
            for row in store.connection().execute("EXPLAIN QUERY PLAN " + compiled.sql, compiled.params)
        )
        assert "USING INDEX c_products__kx_" in plan, plan
    # Asking again with the same and more indexes is idempotent and adds the new one.
    store.container("products", "/pk", indexes=("status", "name"))
    names = {r[0] for r in store.connection().execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    assert {"c_products__kx_status", "c_products__kx_price_amount", "c_products__kx_name"} <= names
    store.close()


def test_a_composite_index_serves_a_filtered_sorted_page_without_a_sort(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "documents.db")
    c = store.container("things", "/pk", indexes=("status,name",))
    assert isinstance(c, SqliteContainer)
    for i in range(30):
        c.create({"id": f"d{i}", "pk": "p", "status": "on" if i % 3 else "off", "name": f"n{29 - i:02d}"})
    query = Query(where=[Filter("status", "=", "on")], order_by=[("name", "asc")])
    compiled = compile_query(
        "c_things", query, partition_key=None, max_items=5, token=None, shadows=c.shadows
    )
    plan = " ".join(
        str(row) for row in store.connection().execute("EXPLAIN QUERY PLAN " + compiled.sql, compiled.params)
    )
    assert "USING INDEX c_things__kx_status_name" in plan and "TEMP B-TREE" not in plan, plan
    # Same answer as before, pages included: the index changes the plan, not the result.
    page = c.query(query, max_items=5)
    assert [d["name"] for d in page.items] == ["n00", "n01", "n03", "n04", "n06"]
    assert page.continuation_token is not None
    after = c.query(query, max_items=5, continuation_token=page.continuation_token)
    assert [d["name"] for d in after.items] == ["n07", "n09", "n10", "n12", "n13"]
    store.close()


def test_equal_queries_of_other_value_types_are_not_answered_from_each_others_cache(tmp_path: Path) -> None:
    """`Filter("n", "=", True) == Filter("n", "=", 1)` (and they hash alike), but Cosmos semantics
    tell them apart (a boolean never equals a number): the remembered SQL and token fingerprints
    must be kept per value type."""
    store = SqliteDocumentStore(tmp_path / "documents.db")
    c = store.container("things", "/id", indexes=("n",))
    c.create({"id": "num", "n": 1})
    c.create({"id": "bool", "n": True})
    c.create({"id": "float", "n": 1.5})
    for first, second in ((1, True), (True, 1)):
        for op in ("=", "in"):
            value_a = (first,) if op == "in" else first
            value_b = (second,) if op == "in" else second
            a = c.query(Query(where=(Filter("n", op, value_a),)))
            b = c.query(Query(where=(Filter("n", op, value_b),)))
            expected_a = "bool" if first is True else "num"
            expected_b = "bool" if second is True else "num"
            assert [d["id"] for d in a.items] == [expected_a]
            assert [d["id"] for d in b.items] == [expected_b]
            assert [d["id"] for d in c.query_versions(Query(where=(Filter("n", op, value_b),))).items] == [
                expected_b
            ]


def test_a_token_of_an_equal_query_of_another_value_type_is_refused(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "documents.db")
    c = store.container("things", "/id", indexes=("n",))
    for i in range(3):
        c.create({"id": f"num{i}", "n": 1})
        c.create({"id": f"bool{i}", "n": True})
    by_number = Query(where=(Filter("n", "=", 1),))
    by_bool = Query(where=(Filter("n", "=", True),))
    token = c.query(by_number, max_items=1).continuation_token
    assert token
    with pytest.raises(ValueError):
        c.query(by_bool, max_items=1, continuation_token=token)
