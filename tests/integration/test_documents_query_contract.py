"""Document store contract: structured queries and continuation-token paging, on every adapter."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from shared.ports.documents import Container, Filter, Query

MakeContainer = Callable[..., Container]

PRODUCTS = [
    {
        "id": "p1",
        "pk": "cat-a",
        "status": "active",
        "price": 10,
        "tags": ["red", "sale"],
        "name": "Mug",
        "stock": {"onHand": 5},
    },
    {"id": "p2", "pk": "cat-a", "status": "draft", "price": 25.5, "tags": ["blue"], "name": "Mat"},
    {
        "id": "p3",
        "pk": "cat-b",
        "status": "active",
        "price": 7,
        "tags": [],
        "name": "Cup",
        "stock": {"onHand": 0},
    },
    {
        "id": "p4",
        "pk": "cat-b",
        "status": "archived",
        "price": 99,
        "tags": ["red"],
        "name": "Lamp",
        "featured": True,
    },
    {
        "id": "p5",
        "pk": "cat-c",
        "status": "active",
        "price": "12",
        "tags": ["sale"],
        "name": "Bowl",
        "featured": False,
    },
]


@pytest.fixture
def products(make_container: MakeContainer) -> Container:
    c = make_container(indexes=("status", "price", "name"))
    for doc in PRODUCTS:
        c.create(doc)
    return c


def ids(container: Container, *where: Filter, partition_key: str | None = None) -> list[str]:
    items = container.query_all(Query(where=where), partition_key=partition_key)
    return sorted(d["id"] for d in items)


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (Filter("status", "=", "active"), ["p1", "p3", "p5"]),
        (Filter("status", "!=", "active"), ["p2", "p4"]),
        (Filter("price", "=", 10), ["p1"]),
        (Filter("price", "<", 10), ["p3"]),
        (Filter("price", "<=", 10), ["p1", "p3"]),
        (Filter("price", ">", 20), ["p2", "p4"]),  # the string "12" is not compared with numbers
        (Filter("price", ">=", 25.5), ["p2", "p4"]),
        (Filter("name", ">=", "L"), ["p4", "p2", "p1"]),
        (Filter("status", "in", ["draft", "archived"]), ["p2", "p4"]),
        (Filter("status", "in", []), []),
        (Filter("tags", "contains", "red"), ["p1", "p4"]),
        (Filter("name", "startswith", "M"), ["p1", "p2"]),
        (Filter("name", "startswith", "m"), []),  # case-sensitive, as Cosmos' STARTSWITH default
        (Filter("stock.onHand", ">", 0), ["p1"]),
        (Filter("stock", "defined"), ["p1", "p3"]),
        (Filter("stock", "undefined"), ["p2", "p4", "p5"]),
        (Filter("featured", "=", True), ["p4"]),
        (Filter("featured", "=", False), ["p5"]),
        (Filter("featured", "!=", True), ["p5"]),  # missing properties match nothing but `undefined`
    ],
    ids=lambda v: repr(v) if isinstance(v, Filter) else "",
)
def test_filter_operators(products: Container, flt: Filter, expected: list[str]) -> None:
    assert ids(products, flt) == sorted(expected)


def test_filters_combine_with_and(products: Container) -> None:
    assert ids(products, Filter("status", "=", "active"), Filter("tags", "contains", "sale")) == ["p1", "p5"]


def test_partition_scoped_query(products: Container) -> None:
    assert ids(products, partition_key="cat-a") == ["p1", "p2"]
    assert ids(products, Filter("status", "=", "active"), partition_key="cat-b") == ["p3"]
    assert ids(products, partition_key="nope") == []


def test_filter_values_are_parameters_not_query_text(products: Container) -> None:
    assert ids(products, Filter("name", "=", "x' OR 1=1 --")) == []
    assert ids(products, Filter("name", "=", 'x" OR true')) == []


def test_unsafe_paths_are_refused(products: Container) -> None:
    for path in ("name') OR 1=1 --", "a..b", "", "price[0]"):
        with pytest.raises(ValueError):
            products.query(Query(where=[Filter(path, "=", 1)]))


def test_order_by_ascending_and_descending(products: Container) -> None:
    numeric = [Filter("price", ">", 0)]
    asc = products.query_all(Query(where=numeric, order_by=[("price", "asc")]))
    assert [d["id"] for d in asc] == ["p3", "p1", "p2", "p4"]
    desc = products.query_all(Query(where=numeric, order_by=[("price", "desc")]))
    assert [d["id"] for d in desc] == ["p4", "p2", "p1", "p3"]


def test_paging_with_continuation_tokens_returns_every_item_once(make_container: MakeContainer) -> None:
    c = make_container(indexes=("rank",))
    for i in range(23):
        # Many ties on `rank`: paging must be stable without OFFSET.
        c.create({"id": f"d{i:02d}", "pk": f"p{i % 3}", "rank": i % 4})
    query = Query(order_by=[("rank", "asc")])
    seen: list[str] = []
    ranks: list[int] = []
    token: str | None = None
    for _ in range(50):
        page = c.query(query, max_items=5, continuation_token=token)
        assert len(page.items) <= 5
        seen.extend(d["id"] for d in page.items)
        ranks.extend(d["rank"] for d in page.items)
        token = page.continuation_token
        if not token:
            break
    assert sorted(seen) == [f"d{i:02d}" for i in range(23)]
    assert len(seen) == len(set(seen))
    assert ranks == sorted(ranks)


def test_paging_within_a_partition(make_container: MakeContainer) -> None:
    c = make_container(indexes=("n",))  # a sortable path is a declared one (index_policy)
    for i in range(12):
        c.create({"id": f"d{i:02d}", "pk": "a" if i % 2 else "b", "n": i})
    pages = 0
    seen: list[int] = []
    token: str | None = None
    while True:
        page = c.query(
            Query(order_by=[("n", "desc")]), partition_key="a", max_items=4, continuation_token=token
        )
        pages += 1
        seen.extend(d["n"] for d in page.items)
        token = page.continuation_token
        if not token or pages > 10:
            break
    assert seen == [11, 9, 7, 5, 3, 1]


def test_a_token_from_another_query_is_refused(products: Container) -> None:
    page = products.query(Query(order_by=[("name", "asc")]), max_items=2)
    assert page.continuation_token
    with pytest.raises(ValueError):
        products.query(
            Query(order_by=[("price", "asc")]), max_items=2, continuation_token=page.continuation_token
        )
    with pytest.raises(ValueError):
        products.query(Query(), continuation_token="not-a-token")
