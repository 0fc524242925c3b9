"""Index policy as data: composite indexes declared in infra/containers.json, used everywhere.

Sorted queries are paged by keyset on (sort paths..., id), which real Cosmos DB serves only from a
composite index. These tests fail when a query in the code sorts on a path no container declares,
when a declaration is malformed or not rendered by Bicep, and show that both adapters refuse an
undeclared sort (so every test running such a query fails too) and SQLite builds the indexes.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from shared.adapters.index_policy import (
    UndeclaredSort,
    check_sort,
    composites_for,
    cosmos_indexing_policy,
    declared,
)
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.ports.documents import Query

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PACKAGES = ("shared", "functions", "orchestrations", "models")


def code_sorts() -> dict[str, list[str]]:
    """Every literal `order_by=` of a `Query(...)` in the code: sort path -> where."""
    found: dict[str, list[str]] = {}
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            tree = ast.parse(path.read_text())
            constants = {
                t.id: n.value.value
                for n in tree.body
                if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant)
                for t in n.targets
                if isinstance(t, ast.Name)
            }
            for node in ast.walk(tree):
                if not (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "Query"):
                    continue
                for kw in node.keywords:
                    if kw.arg != "order_by":
                        continue
                    for term in getattr(kw.value, "elts", []):
                        first = term.elts[0] if isinstance(term, ast.Tuple | ast.List) else None
                        if isinstance(first, ast.Constant):
                            sort = str(first.value)
                        elif isinstance(first, ast.JoinedStr):  # f"{OUTBOX_FIELD}.seq"
                            sort = "".join(
                                str(v.value)
                                if isinstance(v, ast.Constant)
                                else str(constants.get(v.value.id, "?"))  # type: ignore[attr-defined]
                                for v in first.values
                            )
                        else:
                            continue
                        found.setdefault(sort, []).append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_the_scan_sees_the_code_s_sorts() -> None:
    sorts = code_sorts()
    assert {"name", "createdAt", "_outbox.seq", "sequence", "at"} <= set(sorts), sorts


def test_every_sort_in_the_code_has_a_declared_composite_index() -> None:
    declared_paths = {c[0][0] for composites in declared().values() for c in composites}
    missing = {path: where for path, where in code_sorts().items() if path not in declared_paths}
    assert not missing, f"sorted without a composite index in infra/containers.json: {missing}"


def test_declarations_have_cosmos_shape_and_end_with_id() -> None:
    spec = json.loads((ROOT / "infra" / "containers.json").read_text())
    for container in spec["containers"]:
        for composite in container.get("compositeIndexes", []):
            assert len(composite) >= 2, container["name"]
            assert composite[-1]["path"] == "/id", f"{container['name']}: keyset order ends with id"
            for part in composite:
                assert set(part) == {"path", "order"} and part["order"] in ("ascending", "descending")
                assert part["path"].startswith("/") and "*" not in part["path"]


def test_bicep_renders_the_declarations() -> None:
    bicep = (ROOT / "infra" / "modules" / "cosmos.bicep").read_text()
    assert "compositeIndexes: container.?compositeIndexes ?? []" in bicep


def test_an_undeclared_sort_is_refused_on_the_embedded_store(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "documents.db")
    products = store.container("products", "/productId")
    products.query(Query(order_by=(("name", "asc"),)))  # declared
    products.query(Query(order_by=(("name", "desc"),)))  # the same index, reversed
    with pytest.raises(UndeclaredSort, match=r"containers\.json"):
        products.query(Query(order_by=(("priceMicros", "asc"),)))
    with pytest.raises(UndeclaredSort):
        products.query(Query(order_by=(("name", "asc"), ("priceMicros", "desc"))))
    store.close()


def test_sqlite_creates_an_index_per_declaration(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "documents.db")
    store.container("order_streams", "/orderId")
    names = {r[0] for r in store.connection().execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
    for suffix in ("sequence", "createdAt", "_outbox_seq"):
        assert f"c_order_streams__kx_{suffix}" in names, names
    store.close()


def test_cosmos_policy_carries_the_declarations() -> None:
    composites = composites_for("products")
    policy = cosmos_indexing_policy(composites)
    assert [{"path": "/name", "order": "ascending"}, {"path": "/id", "order": "ascending"}] in policy[
        "compositeIndexes"
    ]


def test_undeclared_containers_derive_sorts_from_their_indexes() -> None:
    composites = composites_for("t-not-in-infra", ("rank", "status,name"))
    check_sort("t", composites, Query(order_by=(("rank", "desc"),)))
    check_sort("t", composites, Query(order_by=(("name", "asc"),)))
    with pytest.raises(UndeclaredSort):
        check_sort("t", composites, Query(order_by=(("status", "asc"),)))
    with pytest.raises(UndeclaredSort):
        check_sort("t", composites_for("t-not-in-infra"), Query(order_by=(("rank", "asc"),)))
    check_sort("t", composites_for("t-not-in-infra"), Query(order_by=(("_outbox.seq", "asc"),)))


def test_the_remembered_checks_keep_refusing() -> None:
    """Passing orders are remembered per (container, declarations, order); a refusal never is."""
    composites = composites_for("t-not-in-infra", ("rank",))
    for _ in range(2):
        check_sort("t", composites, Query(order_by=(("rank", "asc"),)))
        with pytest.raises(UndeclaredSort):
            check_sort("t", composites, Query(order_by=(("other", "asc"),)))
        with pytest.raises(ValueError):
            check_sort("t", composites, Query(order_by=(("rank", "sideways"),)))  # type: ignore[arg-type]
        # The same order on a container that does not declare it.
        with pytest.raises(UndeclaredSort):
            check_sort("t2", composites_for("t2-not-in-infra", ("size",)), Query(order_by=(("rank", "asc"),)))
    check_sort("t", composites, Query(order_by=[("rank", "desc")]))  # a list: not hashable, still checked
