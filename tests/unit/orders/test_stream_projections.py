"""The read-model projections skip the read before a replace when this process wrote the previous
version (round 3, docs/performance.md), and still never move a projection backwards: a write by
anyone else changes the ETag, and the replace on the remembered ETag then falls back to read,
compare versions, replace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.orders.stream import OrderStream


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteDocumentStore]:
    store = SqliteDocumentStore(tmp_path / "documents.db")
    yield store
    store.close()


@pytest.fixture
def stream(store: SqliteDocumentStore) -> OrderStream:
    return OrderStream(store)


def _doc(version: int, **extra: Any) -> dict[str, Any]:
    return {"id": "o1", "docType": "order", "orderId": "o1", "version": version, **extra}


def _counting_reads(stream: OrderStream, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    reads: list[str] = []
    original = stream.orders.read

    def read(id: str, partition_key: str) -> Any:
        reads.append(id)
        return original(id, partition_key)

    monkeypatch.setattr(stream.orders, "read", read)
    return reads


def test_the_next_version_is_written_without_a_read(
    stream: OrderStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream._forward(stream.orders, _doc(1), "o1")
    reads = _counting_reads(stream, monkeypatch)
    stream._forward(stream.orders, _doc(2), "o1")
    stream._forward(stream.orders, _doc(3), "o1")
    assert reads == []
    assert stream.orders.read("o1", "o1")["version"] == 3


def test_a_newer_version_written_elsewhere_is_never_overwritten(
    store: SqliteDocumentStore, stream: OrderStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    stream._forward(stream.orders, _doc(1), "o1")
    other = OrderStream(store)
    other._forward(other.orders, _doc(5, by="other"), "o1")  # another process moved it on
    reads = _counting_reads(stream, monkeypatch)
    stream._forward(stream.orders, _doc(2), "o1")  # late: the remembered ETag is stale
    assert reads == ["o1"]
    assert stream.orders.read("o1", "o1")["version"] == 5
    stream._forward(stream.orders, _doc(6), "o1")
    assert stream.orders.read("o1", "o1")["version"] == 6


def test_a_removed_projection_is_written_again(stream: OrderStream) -> None:
    stream._forward(stream.orders, _doc(1), "o1")
    stream.orders.delete("o1", "o1")  # e.g. an operator's rebuild
    stream._forward(stream.orders, _doc(2), "o1")
    assert stream.orders.read("o1", "o1")["version"] == 2


def test_a_new_orders_first_projection_is_created_without_a_read(
    store: SqliteDocumentStore, stream: OrderStream, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads = _counting_reads(stream, monkeypatch)
    stream._forward(stream.orders, _doc(1), "o1")
    assert reads == [] and stream.orders.read("o1", "o1")["version"] == 1
    # Projected again by a fresh process (a repeated request): it exists, so read and compare.
    again = OrderStream(store)
    again_reads = _counting_reads(again, monkeypatch)
    again._forward(again.orders, _doc(1, status="x"), "o1")
    assert again_reads == ["o1"] and "status" not in again.orders.read("o1", "o1")
