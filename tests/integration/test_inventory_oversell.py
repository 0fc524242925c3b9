"""No oversell under concurrency: 40 reservations of 1 unit against a sku with 10 available.

Runs over every document adapter of the contract suites (`docs`: SQLite, and Cosmos on
cosmosdb-server through the test-server launcher), first from 40 threads of one process, then
from two processes of 20 threads each (spawned, so each has its own store client, as two Function
workers would). Exactly 10 must succeed and the sku must end with available 0, reserved 10.

cosmosdb-server runs transactional batches only when every operation is a create (DEVHOST.md),
and the outbox commits a replace and its events as one batch. When the Cosmos adapter's batch
fails that way (probed once), the Cosmos runs send batches through the adapter's single-item
operations, in order: the non-atomic behaviour cosmosdb-server has anyway. That does not weaken
this test: the stock invariant rests on the single conditional replace of the stock document
(`if_match`), which goes through the real adapter unchanged; only event/audit writes are affected.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from multiprocessing import get_context
from typing import Any

from shared.inventory.model import ReservationLine
from shared.inventory.repository import InventoryRepository
from shared.inventory.reservations import reserve
from shared.inventory.service import adjust_stock, ensure_stock, get_stock
from shared.ports.documents import (
    BatchFailed,
    BatchOp,
    Container,
    Document,
    DocumentStore,
    DocumentStoreError,
    Page,
    PatchOp,
    Query,
)

ATTEMPTS = 40
STOCK = 10


class SequentialBatchContainer(Container):
    """Delegates to the adapter's container; `batch` runs its operations one by one."""

    def __init__(self, inner: Container) -> None:
        self.inner = inner
        self.name = inner.name
        self.partition_key_path = inner.partition_key_path

    def create(self, document: Document) -> Document:
        return self.inner.create(document)

    def read(self, id: str, partition_key: str) -> Document:
        return self.inner.read(id, partition_key)

    def upsert(self, document: Document, *, if_match: str | None = None) -> Document:
        return self.inner.upsert(document, if_match=if_match)

    def replace(self, document: Document, *, if_match: str | None = None) -> Document:
        return self.inner.replace(document, if_match=if_match)

    def delete(self, id: str, partition_key: str, *, if_match: str | None = None) -> None:
        self.inner.delete(id, partition_key, if_match=if_match)

    def patch(
        self, id: str, partition_key: str, operations: Sequence[PatchOp], *, if_match: str | None = None
    ) -> Document:
        return self.inner.patch(id, partition_key, operations, if_match=if_match)

    def query(
        self,
        query: Query,
        *,
        partition_key: str | None = None,
        max_items: int = 100,
        continuation_token: str | None = None,
    ) -> Page:
        return self.inner.query(
            query, partition_key=partition_key, max_items=max_items, continuation_token=continuation_token
        )

    def batch(self, partition_key: str, operations: Sequence[BatchOp]) -> list[Document | None]:
        results: list[Document | None] = []
        for index, op in enumerate(operations):
            try:
                results.append(self._one(partition_key, op))
            except DocumentStoreError as exc:
                raise BatchFailed(index, exc) from exc
        return results

    def _one(self, partition_key: str, op: BatchOp) -> Document | None:
        if op.kind == "create":
            return self.create(op.document or {})
        if op.kind == "upsert":
            return self.upsert(op.document or {}, if_match=op.if_match)
        if op.kind == "replace":
            return self.replace(op.document or {}, if_match=op.if_match)
        if op.kind == "delete":
            self.delete(op.id or "", partition_key, if_match=op.if_match)
            return None
        return self.patch(op.id or "", partition_key, op.patch, if_match=op.if_match)


class SequentialBatchStore(DocumentStore):
    def __init__(self, inner: DocumentStore) -> None:
        self.inner = inner
        self._containers: dict[str, Container] = {}

    def container(self, name: str, partition_key_path: str, **kwargs: Any) -> Container:
        if name not in self._containers:
            self._containers[name] = SequentialBatchContainer(self.inner.container(name, partition_key_path))
        return self._containers[name]


def _batch_works(store: DocumentStore) -> bool:
    """Can this store run a batch holding a conditional replace (what the outbox sends)?"""
    probe = store.container("oversellprobe", "/pk")
    doc = probe.create({"id": uuid.uuid4().hex, "pk": "p", "n": 0})
    try:
        probe.batch("p", [BatchOp("replace", document={**doc, "n": 1}, if_match=doc["_etag"])])
        return True
    except Exception:
        return False


_probed: dict[int, bool] = {}


def usable(store: DocumentStore) -> DocumentStore:
    from shared.adapters.sqlite_documents import SqliteDocumentStore

    if isinstance(store, SqliteDocumentStore):
        return store
    if id(store) not in _probed:
        _probed[id(store)] = _batch_works(store)
    return store if _probed[id(store)] else SequentialBatchStore(store)


def _store_spec(docs: DocumentStore) -> dict[str, Any]:
    """How a spawned process opens the same store."""
    from shared.adapters.sqlite_documents import SqliteDocumentStore

    if isinstance(docs, SqliteDocumentStore):
        return {"kind": "sqlite", "path": str(docs.path)}
    return {
        "kind": "cosmos",
        "endpoint": os.environ["SC_TEST_COSMOS_ENDPOINT"],
        "key": os.environ["SC_TEST_COSMOS_KEY"],
        "database": docs.database.id,  # type: ignore[attr-defined]
    }


def _open(spec: dict[str, Any]) -> DocumentStore:
    if spec["kind"] == "sqlite":
        from shared.adapters.sqlite_documents import SqliteDocumentStore

        return SqliteDocumentStore(spec["path"])
    from shared.adapters.cosmos_documents import CosmosDocumentStore
    from shared.settings import Settings

    settings = Settings(
        cosmos_endpoint=spec["endpoint"],
        cosmos_key=spec["key"],
        cosmos_verify_tls=False,
        cosmos_database=spec["database"],
    )
    return usable(CosmosDocumentStore.from_settings(settings))


def _reserve_all(store: DocumentStore, sku: str, order_ids: list[str]) -> list[bool]:
    def one(order_id: str) -> bool:
        return reserve(store=store, order_id=order_id, lines=[ReservationLine(sku, 1)]).ok

    with ThreadPoolExecutor(max_workers=len(order_ids)) as pool:
        return list(pool.map(one, order_ids))


def reserve_in_process(spec: dict[str, Any], sku: str, order_ids: list[str]) -> list[bool]:
    """Entry point of a spawned worker process."""
    return _reserve_all(_open(spec), sku, order_ids)


def _stocked_sku(docs: DocumentStore) -> str:
    sku = f"OVERSELL-{uuid.uuid4().hex[:10]}"
    ensure_stock(store=docs, sku=sku, product_id=f"p-{sku}", product_exists=lambda _: True)
    adjust_stock(store=docs, sku=sku, delta=STOCK, reason="initial count")
    return sku


def _assert_exactly_ten(docs: DocumentStore, sku: str, results: list[bool], order_ids: list[str]) -> None:
    assert sum(results) == STOCK, f"{sum(results)} reservations succeeded"
    item = get_stock(store=docs, sku=sku)
    assert (item.on_hand, item.reserved, item.available) == (STOCK, STOCK, 0)
    assert len(item.holds) == STOCK and set(item.holds) <= set(order_ids)
    repo = InventoryRepository(docs)
    statuses = [repo.get_reservation(o).status for o in order_ids]  # type: ignore[union-attr]
    assert statuses.count("reserved") == STOCK and statuses.count("failed") == ATTEMPTS - STOCK


def test_forty_threads_reserve_ten_units(docs: DocumentStore) -> None:
    docs = usable(docs)
    sku = _stocked_sku(docs)
    order_ids = [f"order-{uuid.uuid4().hex}" for _ in range(ATTEMPTS)]
    results = _reserve_all(docs, sku, order_ids)
    _assert_exactly_ten(docs, sku, results, order_ids)


def test_two_processes_reserve_ten_units(docs: DocumentStore) -> None:
    spec = _store_spec(docs)
    docs = usable(docs)
    sku = _stocked_sku(docs)
    order_ids = [f"order-{uuid.uuid4().hex}" for _ in range(ATTEMPTS)]
    halves = [order_ids[: ATTEMPTS // 2], order_ids[ATTEMPTS // 2 :]]
    with ProcessPoolExecutor(max_workers=2, mp_context=get_context("spawn")) as pool:
        futures = [pool.submit(reserve_in_process, spec, sku, half) for half in halves]
        results = [ok for future in futures for ok in future.result(timeout=120)]
    _assert_exactly_ten(docs, sku, results, order_ids)
