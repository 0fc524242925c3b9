"""Paging contract for sorted queries across partitions, as the real Cosmos DB serves them.

Runs on the embedded adapter, on cosmosdb-server, on cosmosdb-server behind the fake gateway
(`cosmos_gateway.GatewayTransport`: the gateway refuses cross-partition ORDER BY with 400/1004,
so the SDK takes its client-side path over three physical partitions, where its own continuation
tokens do not work), and opt-in on a real account or the emulator (`cosmos-real`, conftest.py).
Every item must arrive exactly once, in (sort value, id) order, and a token
must survive being handed back by a client but not being tampered with.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import pytest

from shared.adapters.doc_common import decode_token, encode_token
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.ports.documents import Container, DocumentStore, Filter, Query
from tests.integration.conftest import _server_env
from tests.integration.cosmos_gateway import GatewayTransport

ITEMS = 40  # more than several pages, over 8 logical partitions spread on 3 physical ones
PAGE = 6


def _cosmos(transport: Any = None) -> DocumentStore:
    from shared.adapters.cosmos_documents import CosmosDocumentStore
    from shared.settings import Settings

    settings = Settings(
        cosmos_endpoint=_server_env("SC_TEST_COSMOS_ENDPOINT"),
        cosmos_key=_server_env("SC_TEST_COSMOS_KEY"),
        cosmos_verify_tls=False,
        cosmos_database=f"paging-{uuid.uuid4().hex[:8]}",
        cosmos_timeout_seconds=120,  # the stand-in is slow on a loaded machine
    )
    return CosmosDocumentStore.from_settings(settings, transport=transport)


@pytest.fixture(params=["sqlite", "cosmos", "cosmos-gateway", "cosmos-real"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[DocumentStore, Any]]:
    if request.param == "sqlite":
        sqlite = SqliteDocumentStore(tmp_path / "documents.db")
        yield sqlite, None
        sqlite.close()
    elif request.param == "cosmos":
        yield _cosmos(), None
    elif request.param == "cosmos-real":  # opt-in: skipped, with the reason, unless configured
        yield request.getfixturevalue("real_cosmos_store"), None
    else:
        transport = GatewayTransport(ranges=3, connection_verify=False)
        yield _cosmos(transport), transport


@pytest.fixture
def filled(store: tuple[DocumentStore, Any]) -> tuple[Container, Any]:
    docs, transport = store
    c = docs.container(f"t{uuid.uuid4().hex[:12]}", "/pk", indexes=("rank", "kind"))
    for i in range(ITEMS):
        # Many ties on `rank` across partitions: only (rank, id) orders them.
        c.create(
            {"id": f"d{(i * 7) % ITEMS:02d}", "pk": f"p{i % 8}", "rank": i % 5, "kind": "k" if i % 3 else "x"}
        )
    return c, transport


def _walk(
    c: Container, query: Query, *, partition_key: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    items: list[dict[str, Any]] = []
    token: str | None = None
    pages = 0
    while True:
        page = c.query(query, partition_key=partition_key, max_items=PAGE, continuation_token=token)
        pages += 1
        assert len(page.items) <= PAGE
        items.extend(page.items)
        token = page.continuation_token
        if not token or pages > ITEMS:
            return items, pages


def _expected(c: Container, direction: Literal["asc", "desc"], keep: Any = lambda d: True) -> list[str]:
    every = [d for d in c.query_all(Query()) if keep(d)]
    ordered = sorted(every, key=lambda d: (d["rank"], d["id"]), reverse=direction == "desc")
    return [d["id"] for d in ordered]


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_sorted_cross_partition_paging_returns_every_item_once_in_order(
    filled: tuple[Container, Any], direction: Literal["asc", "desc"]
) -> None:
    c, transport = filled
    items, pages = _walk(c, Query(order_by=[("rank", direction)]))
    ids = [d["id"] for d in items]
    assert len(ids) == len(set(ids)) == ITEMS, "an item was lost or repeated"
    assert ids == _expected(c, direction)
    assert pages >= ITEMS // PAGE
    if transport is not None:  # the SDK really took its client-side cross-partition path
        assert transport.seen["1004"] and transport.seen["plan"] and transport.seen["range"] >= 3


def test_sorted_paging_with_a_filter(filled: tuple[Container, Any]) -> None:
    c, _ = filled
    items, _ = _walk(c, Query(where=[Filter("kind", "=", "k")], order_by=[("rank", "asc")]))
    assert [d["id"] for d in items] == _expected(c, "asc", lambda d: d["kind"] == "k")


def test_sorted_paging_within_one_partition(filled: tuple[Container, Any]) -> None:
    c, _ = filled
    items, _ = _walk(c, Query(order_by=[("rank", "desc")]), partition_key="p3")
    assert [d["id"] for d in items] == _expected(c, "desc", lambda d: d["pk"] == "p3")


def test_unsorted_cross_partition_paging_returns_every_item_once(filled: tuple[Container, Any]) -> None:
    c, _ = filled
    items, _ = _walk(c, Query(where=[Filter("rank", ">=", 0)]))
    assert sorted(d["id"] for d in items) == sorted(f"d{i:02d}" for i in range(ITEMS))


def test_tampered_tokens_are_refused_with_value_error(filled: tuple[Container, Any]) -> None:
    c, _ = filled
    query = Query(order_by=[("rank", "asc")])
    token = c.query(query, max_items=PAGE).continuation_token
    assert token
    state = decode_token(token)
    bad = ["garbage", token[:-3], encode_token({**state, "h": "0" * 16}), encode_token({"h": state["h"]})]
    for key in set(state) - {"h"}:  # each field the adapter put in, edited
        for value in ("not-a-list", [{"nested": 1}], [["v", {"nested": 1}]] * 3, 5):
            bad.append(encode_token({**state, key: value}))
    for tampered in bad:
        with pytest.raises(ValueError):
            c.query(query, max_items=PAGE, continuation_token=tampered)


@pytest.mark.parametrize("direction", ["asc", "desc"])
def test_query_versions_pages_the_same_rows_as_query_with_the_same_tokens(
    filled: tuple[Container, Any], direction: Literal["asc", "desc"]
) -> None:
    """`query_versions` (ids, partition keys and ETags only) answers the rows `query` answers, in
    its order, and the tokens of one page the other (the catalog's listing mixes them)."""
    c, _ = filled
    query = Query(where=[Filter("kind", "=", "k")], order_by=[("rank", direction)])
    docs, _ = _walk(c, query)
    versions: list[dict[str, Any]] = []
    token: str | None = None
    use_versions = True
    while True:
        if use_versions:
            page = c.query_versions(query, max_items=PAGE, continuation_token=token)
            versions.extend(page.items)
        else:  # every other page through `query`, with the token `query_versions` gave
            full = c.query(query, max_items=PAGE, continuation_token=token)
            versions.extend({"id": d["id"], "_pk": d["pk"], "_etag": d["_etag"]} for d in full.items)
            page = full
        token = page.continuation_token
        use_versions = not use_versions
        if not token:
            break
    assert versions == [{"id": d["id"], "_pk": d["pk"], "_etag": d["_etag"]} for d in docs]
    assert all(set(v) == {"id", "_pk", "_etag"} for v in versions)
