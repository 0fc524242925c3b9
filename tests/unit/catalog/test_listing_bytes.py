"""GET /products is sent as bytes assembled from per-version fragments (catalog.listing.page_json):
they must be exactly what the page model serializes to, built the straightforward way from each
product as GET /products/{id} shows it and each sku's stock record."""

from __future__ import annotations

from decimal import Decimal

from shared.catalog.schemas import ProductListItem, ProductListPage, ProductListQuery, SkuAvailability
from shared.catalog.service import (
    create_product,
    get_product,
    list_products,
    list_products_json,
    update_product,
)
from shared.inventory.repository import InventoryRepository
from shared.inventory.service import adjust_stock, find_stock
from shared.ports.documents import DocumentStore
from tests.unit.catalog.conftest import product_data


def _expected(store: DocumentStore, query: ProductListQuery) -> bytes:
    """The page model built item by item (the listing before round 4), serialized by pydantic."""
    listed = ProductListPage.model_validate_json(list_products_json(store=store, query=query))
    items = []
    for listed_item in listed.items:
        product = get_product(store=store, product_id=listed_item.id).value
        skus = list(dict.fromkeys([product.sku, *(v.sku for v in product.variants)]))
        entries = []
        for sku in skus:
            item = find_stock(store=store, sku=sku)
            available = max(0, item.available) if item is not None else 0
            entries.append(SkuAvailability(sku=sku, available=available, in_stock=available > 0))
        fields = {name: getattr(product, name) for name in product.__class__.model_fields}
        items.append(
            ProductListItem(**fields, in_stock=any(e.in_stock for e in entries), availability=entries)
        )
    page = ProductListPage(items=items, continuation_token=listed.continuation_token)
    return page.model_dump_json(by_alias=True).encode()


def test_the_listing_bytes_are_the_page_models_json(store: DocumentStore, refs: dict[str, str]) -> None:
    odd = 'Tea "Set" \\ naïve \u2013 日本 \U0001f375 \u2028 tab\there'
    create_product(
        store=store,
        data=product_data(
            refs,
            sku="TEA-1",
            name=odd,
            amount="12.50",
            attributes={"material": "clay", "weight": 0.25, "count": 6, "fragile": True, "note": odd},
            variants=[
                {"sku": "TEA-1-S", "attributes": {"size": "S"}},
                {
                    "sku": "TEA-1-L",
                    "attributes": {"size": "L"},
                    "price": {"amount": "15.00", "currency": "USD"},
                },
            ],
        ),
    )
    for n in range(4):
        data = product_data(refs, sku=f"MUG-{n}", name=f"Mug {n}", amount=f"{5 + n}.99")
        create_product(store=store, data=data)
    adjust_stock(store=store, sku="TEA-1-L", delta=4, reason="test")
    adjust_stock(store=store, sku="MUG-2", delta=1, reason="test")
    # A record whose reserved exceeds on hand (never written by the model, but read as 0).
    repo = InventoryRepository(store)
    item = repo.get_stock("MUG-3")
    assert item is not None
    item.reserved = 3
    repo.save_stock(item)

    queries = [
        ProductListQuery(),
        ProductListQuery(limit=2),
        ProductListQuery(category=refs["category_id"], min_price=Decimal("6"), max_price=Decimal("13")),
        ProductListQuery(brand="no-such-brand"),
    ]
    for query in queries:
        assert list_products_json(store=store, query=query) == _expected(store, query), query
    page = list_products(store=store, query=ProductListQuery(limit=2))
    assert page.continuation_token is not None
    after = ProductListQuery(limit=2, continuation_token=page.continuation_token)
    assert list_products_json(store=store, query=after) == _expected(store, after)


def test_a_new_product_version_is_listed_with_its_new_fields(
    store: DocumentStore, refs: dict[str, str]
) -> None:
    created = create_product(store=store, data=product_data(refs, sku="MUG-9"))
    before = list_products_json(store=store, query=ProductListQuery())
    update_product(
        store=store,
        product_id=created.value.id,
        data=product_data(refs, sku="MUG-9", name="Renamed", variants=[{"sku": "MUG-9-XL"}]),
        if_match=created.etag,
    )
    after = list_products_json(store=store, query=ProductListQuery())
    assert before != after and after == _expected(store, ProductListQuery())
    assert b'"name":"Renamed"' in after and b'"sku":"MUG-9-XL","available":0' in after
