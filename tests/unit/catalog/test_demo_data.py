from __future__ import annotations

from devhost.demo_data import generate_products, seed_catalog
from shared.catalog.schemas import ProductListQuery
from shared.catalog.service import list_products
from shared.catalog.taxonomy import list_brands, list_categories
from shared.inventory.service import get_stock
from shared.ports.documents import DocumentStore


def test_generator_is_seeded_and_believable() -> None:
    products = generate_products(300, seed=7)
    assert products == generate_products(300, seed=7)
    assert products != generate_products(300, seed=8)
    skus = [p["sku"] for p in products] + [v["sku"] for p in products for v in p["variants"]]
    assert len(skus) == len(set(skus))
    assert sum(1 for p in products if p["variants"]) > 30
    assert len({p["categoryId"] for p in products}) >= 8 and len({p["brandId"] for p in products}) >= 10
    assert all(p["name"] and p["price"]["amount"].count(".") == 1 for p in products)


def test_seed_creates_a_shop_once(store: DocumentStore) -> None:
    assert seed_catalog(store=store, count=40, seed=3) == 40
    assert seed_catalog(store=store, count=40, seed=3) == 0  # a re-run skips what exists
    assert len(list_categories(store=store, limit=100, continuation_token=None).items) >= 8
    assert len(list_brands(store=store, limit=100, continuation_token=None).items) >= 10
    page = list_products(store=store, query=ProductListQuery(limit=100))
    assert len(page.items) == 40
    body = generate_products(40, seed=3)[0]
    sellable = [v["sku"] for v in body["variants"]] or [body["sku"]]
    assert [get_stock(store=store, sku=sku).on_hand for sku in sellable] == [
        body["_stock"][s] for s in sellable
    ]
