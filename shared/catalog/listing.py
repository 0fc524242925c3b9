"""The product listing's filters and availability (GET /products).

Filters: `category` and `brand` take an id, a slug or a name. An id that exists is used as is;
anything else is slugified and matched against the taxa's slugs (a slug is the slugified name, so
"Home & Garden", "home-garden" and the id all find the same category). Several taxa may share a
slug; the listing then shows the products of each. Nothing matching: an empty page, as an unknown
id always gave.

The listing's bytes are frozen once per request (`freeze_json`), as the cached pages were before
availability: rendering sends those bytes rather than serializing again.

Availability: the page (cached with the products, invalidated by catalog events) is served with
each sku's `available` read fresh from inventory in one batched query per page
(`inventory.service.available_by_product`), never one read per sku, and never cached: stock moves
without catalog events.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.catalog.model import slugify
from shared.catalog.repository import CatalogRepository
from shared.catalog.schemas import ProductListItem, ProductPublic, SkuAvailability
from shared.inventory.service import available_by_product
from shared.ports.documents import DocumentStore


def resolve_taxa(repo: CatalogRepository, kind: str, value: str | None) -> tuple[str, ...] | None:
    """The ids a filter value names (None: no filter). A value naming nothing is kept as the id
    to filter on: the page is empty, and a continuation token of another query is still refused."""
    if value is None:
        return None
    if repo.get_taxon(kind, value) is not None:
        return (value,)
    return tuple(sorted(repo.taxa_with_slug(kind, slugify(value)))) or (value,)


def sellable_skus(product: ProductPublic) -> list[str]:
    """The skus a shopper can order (`POST /orders` prices any of them): the product's own, then
    each variant's."""
    return list(dict.fromkeys([product.sku, *(v.sku for v in product.variants)]))


def with_availability(store: DocumentStore, products: Sequence[ProductPublic]) -> list[ProductListItem]:
    ids = [product.id for product in products]
    stock = available_by_product(store=store, product_ids=ids) if ids else {}
    items: list[ProductListItem] = []
    for product in products:
        available = stock.get(product.id, {})
        entries = [
            SkuAvailability(sku=sku, available=available.get(sku, 0), in_stock=available.get(sku, 0) > 0)
            for sku in sellable_skus(product)
        ]
        fields = {name: getattr(product, name) for name in ProductPublic.model_fields}
        items.append(
            ProductListItem.model_construct(
                **fields, in_stock=any(e.in_stock for e in entries), availability=entries
            )
        )
    return items
