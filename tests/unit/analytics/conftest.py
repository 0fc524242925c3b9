"""Pricing / sales / inventory-analytics unit tests: the services over the real SQLite document
store and folder blob store in a tmp dir (no mocks)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.folder_blobs import FolderBlobStore
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.catalog.cache import cache
from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductCreate
from shared.catalog.service import create_product
from shared.catalog.taxonomy import create_brand, create_category
from shared.inventory.service import adjust_stock
from shared.ports.documents import DocumentStore
from shared.pricing.recommendation import reset_runtime
from shared.settings import reset_settings_cache


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteDocumentStore]:
    monkeypatch.setenv("SC_DATA_DIR", str(tmp_path))
    reset_settings_cache()
    reset_runtime()
    cache.clear()
    yield SqliteDocumentStore(tmp_path / "documents.db")
    cache.clear()
    reset_runtime()
    reset_settings_cache()


@pytest.fixture
def blobs(tmp_path: Path) -> FolderBlobStore:
    return FolderBlobStore(tmp_path / "blobs")


@pytest.fixture
def make_product(store: DocumentStore) -> Callable[..., Any]:
    category = create_category(store=store, data=CategoryCreate(name="Kitchen"))
    brand = create_brand(store=store, data=BrandCreate(name="Acme"))
    counter = iter(range(1000))

    def make(price: str = "20.00", stock: int = 0, sku: str | None = None) -> Any:
        body = {
            "sku": sku or f"SKU-T{next(counter):03d}",
            "name": "Test product",
            "categoryId": category.id,
            "brandId": brand.id,
            "price": {"amount": price, "currency": "USD"},
        }
        product = create_product(store=store, data=ProductCreate.model_validate(body)).value
        if stock:
            adjust_stock(store=store, sku=product.sku, delta=stock, reason="test stock")
        return product

    return make
