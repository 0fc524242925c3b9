"""Inventory unit tests run the service over the real SQLite document store in a tmp dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.inventory.repository import InventoryRepository
from shared.inventory.service import adjust_stock, ensure_stock
from shared.messaging.outbox import PENDING
from shared.ports.documents import DocumentStore
from shared.settings import reset_settings_cache


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteDocumentStore]:
    monkeypatch.setenv("SC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("INVENTORY_LOW_STOCK_THRESHOLD", "2")
    reset_settings_cache()
    yield SqliteDocumentStore(tmp_path / "documents.db")
    reset_settings_cache()


def stocked(store: DocumentStore, sku: str, on_hand: int) -> None:
    ensure_stock(store=store, sku=sku, product_id=f"p-{sku}", product_exists=lambda _: True)
    if on_hand:
        adjust_stock(store=store, sku=sku, delta=on_hand, reason="initial count")


def pending_event_types(store: DocumentStore) -> list[str]:
    """Event types waiting in the inventory outboxes (not yet relayed), oldest first."""
    repo = InventoryRepository(store)
    docs = [*repo.stock.query_all(PENDING), *repo.reservations.query_all(PENDING)]
    docs.sort(key=lambda d: d["_outbox"]["seq"])
    return [d["_outbox"]["event"]["type"] for d in docs]
