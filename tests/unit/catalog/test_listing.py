"""The product listing: filters by id, slug or name; availability read in one batch per page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductListQuery
from shared.catalog.service import create_product, list_products
from shared.catalog.taxonomy import create_brand, create_category
from shared.inventory import service as inventory
from shared.inventory.repository import STOCK_CONTAINER, STOCK_PK
from shared.inventory.service import adjust_stock
from shared.ports.documents import DocumentStore
from tests.unit.catalog.conftest import product_data


def _count_calls(store: DocumentStore, monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts of reads and queries the inventory container answers from now on (the store keeps one
    container object per name, so patching the instance sees every caller's calls)."""
    container = store.container(STOCK_CONTAINER, STOCK_PK)
    calls = {"read": 0, "query": 0, "versions": 0}
    real_read, real_query, real_versions = container.read, container.query, container.query_versions

    def read(*args: Any, **kwargs: Any) -> Any:
        calls["read"] += 1
        return real_read(*args, **kwargs)

    def query(*args: Any, **kwargs: Any) -> Any:
        calls["query"] += 1
        return real_query(*args, **kwargs)

    def versions(*args: Any, **kwargs: Any) -> Any:
        calls["versions"] += 1
        return real_versions(*args, **kwargs)

    monkeypatch.setattr(container, "read", read)
    monkeypatch.setattr(container, "query", query)
    monkeypatch.setattr(container, "query_versions", versions)
    return calls


def test_a_page_of_products_reads_its_stock_in_one_query(
    store: DocumentStore, refs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for n in range(12):
        variants = [{"sku": f"P{n}-{size}", "attributes": {"size": size}} for size in ("S", "M")]
        create_product(
            store=store, data=product_data(refs, sku=f"P{n}", name=f"Item {n:02d}", variants=variants)
        )
    adjust_stock(store=store, sku="P3-M", delta=7, reason="test")
    calls = _count_calls(store, monkeypatch)
    page = list_products(store=store, query=ProductListQuery(limit=100))
    assert len(page.items) == 12
    # 36 skus, one query (the versions, then the records: none was seen before), no read per sku.
    assert calls == {"read": 0, "query": 1, "versions": 1}
    third = next(p for p in page.items if p.sku == "P3")
    assert [(a.sku, a.available, a.in_stock) for a in third.availability] == [
        ("P3", 0, False),
        ("P3-S", 0, False),
        ("P3-M", 7, True),
    ]
    assert third.in_stock and not next(p for p in page.items if p.sku == "P4").in_stock


def test_availability_is_batched_per_chunk_of_products_not_per_sku(
    store: DocumentStore, refs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(inventory, "PRODUCTS_PER_QUERY", 2)
    ids = []
    for n in range(4):
        ids.append(create_product(store=store, data=product_data(refs, sku=f"Q{n}", name=f"Q {n}")).value.id)
        adjust_stock(store=store, sku=f"Q{n}", delta=n + 1, reason="test")
    calls = _count_calls(store, monkeypatch)
    found = inventory.available_by_product(store=store, product_ids=[*ids, "no-such-product"])
    assert found == {ids[n]: {f"Q{n}": n + 1} for n in range(4)}  # unknown products are simply absent
    # 5 products in chunks of 2: the versions per chunk, the records of the two chunks with
    # records not seen before (the third has none).
    assert calls == {"read": 0, "query": 2, "versions": 3}
    # Again: nothing changed, so the versions alone answer; a change is read on the next call.
    assert inventory.available_by_product(store=store, product_ids=[*ids, "no-such-product"]) == found
    assert calls == {"read": 0, "query": 2, "versions": 6}
    adjust_stock(store=store, sku="Q1", delta=5, reason="test")
    before = dict(calls)
    again = inventory.available_by_product(store=store, product_ids=ids)
    assert again == {**found, ids[1]: {"Q1": 7}}
    assert {k: calls[k] - before[k] for k in calls} == {"read": 0, "query": 1, "versions": 2}


def test_category_and_brand_filters_take_an_id_a_slug_or_a_name(
    store: DocumentStore, refs: dict[str, str]
) -> None:
    garden = create_category(store=store, data=CategoryCreate(name="Garden & Outdoor"))
    acme = create_brand(store=store, data=BrandCreate(name="Acme Tools"))
    data = product_data({"category_id": garden.id, "brand_id": acme.id}, sku="RAKE-1", name="Rake")
    create_product(store=store, data=data)
    create_product(store=store, data=product_data(refs, sku="MUG-9"))
    for value in (garden.id, garden.slug, "Garden & Outdoor", "garden & outdoor"):
        assert [p.sku for p in list_products(store=store, query=ProductListQuery(category=value)).items] == [
            "RAKE-1"
        ], value
    for value in (acme.id, "acme-tools", "Acme Tools"):
        assert [p.sku for p in list_products(store=store, query=ProductListQuery(brand=value)).items] == [
            "RAKE-1"
        ], value
    assert list_products(store=store, query=ProductListQuery(category="Nothing Like It")).items == []
    # A second category spelled the same way (names are not unique): both are listed.
    twin = create_category(store=store, data=CategoryCreate(name="Garden  &  Outdoor"))
    data = product_data({"category_id": twin.id, "brand_id": acme.id}, sku="HOE-1", name="Hoe")
    create_product(store=store, data=data)
    listed = list_products(store=store, query=ProductListQuery(category="garden-outdoor")).items
    assert sorted(p.sku for p in listed) == ["HOE-1", "RAKE-1"]


def test_stock_versions_of_another_store_are_not_taken_for_this_ones(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two stores (two SQLite files) give the same sku the same ETag (each counts from 1): what one
    store's record said must not answer for the other's."""
    from shared.adapters.sqlite_documents import SqliteDocumentStore

    found = []
    for n, on_hand in enumerate((3, 8)):
        store = SqliteDocumentStore(tmp_path / f"s{n}.db")
        refs = {
            "category_id": create_category(store=store, data=CategoryCreate(name="Kitchen")).id,
            "brand_id": create_brand(store=store, data=BrandCreate(name="Acme")).id,
        }
        product = create_product(store=store, data=product_data(refs, sku="SAME-1")).value
        adjust_stock(store=store, sku="SAME-1", delta=on_hand, reason="test")
        found.append(inventory.available_by_product(store=store, product_ids=[product.id])[product.id])
        store.close()
    assert found == [{"SAME-1": 3}, {"SAME-1": 8}]
