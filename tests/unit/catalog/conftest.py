"""Catalog unit tests run the services over the real SQLite store and folder blob store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.folder_blobs import FolderBlobStore
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.catalog.cache import cache
from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductCreate
from shared.catalog.taxonomy import create_brand, create_category
from shared.ports.documents import DocumentStore
from shared.settings import reset_settings_cache


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteDocumentStore]:
    monkeypatch.setenv("SC_DATA_DIR", str(tmp_path))
    reset_settings_cache()
    cache.clear()
    yield SqliteDocumentStore(tmp_path / "documents.db")
    cache.clear()
    reset_settings_cache()


@pytest.fixture
def blobs(tmp_path: Path) -> FolderBlobStore:
    return FolderBlobStore(tmp_path / "blobs")


@pytest.fixture
def refs(store: DocumentStore) -> dict[str, str]:
    """A category and a brand products can point at."""
    category = create_category(store=store, data=CategoryCreate(name="Kitchen"))
    brand = create_brand(store=store, data=BrandCreate(name="Acme"))
    return {"category_id": category.id, "brand_id": brand.id}


def product_data(
    refs: dict[str, str], sku: str = "MUG-1", amount: str = "9.99", **extra: Any
) -> ProductCreate:
    return ProductCreate.model_validate(
        {
            "sku": sku,
            "name": extra.pop("name", f"Mug {sku}"),
            "description": "A sturdy mug",
            "categoryId": refs["category_id"],
            "brandId": refs["brand_id"],
            "price": {"amount": amount, "currency": "USD"},
            **extra,
        }
    )
