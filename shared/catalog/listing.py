"""The product listing's filters, availability and bytes (GET /products).

Filters: `category` and `brand` take an id, a slug or a name. An id that exists is used as is;
anything else is slugified and matched against the taxa's slugs (a slug is the slugified name, so
"Home & Garden", "home-garden" and the id all find the same category). Several taxa may share a
slug; the listing then shows the products of each. Nothing matching: an empty page, as an unknown
id always gave.

Availability: the page (cached with the products, invalidated by catalog events) is served with
each sku's `available` read fresh from inventory in one batched query per page
(`inventory.service.available_by_product`), never one read per sku, and never cached: stock moves
without catalog events.

Bytes: a page is sent as JSON assembled from one remembered fragment per stored product version
(its `ProductPublic` JSON without the closing brace, keyed by id and ETag like
`model.stored_to_public`) plus the availability of that request. Building a `ProductListItem` per
product and serializing the page again was most of an uncached listing's Python time
(docs/performance.md, round 4); the bytes are the ones `ProductListPage.model_dump_json(by_alias=True)`
gives for the same page (tests/unit/catalog/test_listing_bytes.py).
"""

from __future__ import annotations

import weakref
from collections.abc import Sequence
from dataclasses import dataclass

import orjson

from shared.catalog.model import slugify, stored_to_public
from shared.catalog.repository import CatalogRepository
from shared.catalog.schemas import ProductPublic
from shared.inventory.service import available_by_product
from shared.kernel.frozen import frozen_json
from shared.ports.documents import Document, DocumentStore


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


@dataclass(frozen=True, slots=True)
class Entry:
    """A stored product version as the listing sends it: immutable, shared by every request."""

    product: ProductPublic
    head: bytes  # the product's JSON (by alias) without its closing brace
    skus: tuple[str, ...]


def _entry(product: ProductPublic) -> Entry:
    body = frozen_json(product) or product.model_dump_json(by_alias=True).encode()
    return Entry(product, body[:-1], tuple(sellable_skus(product)))


# Per store, (product id, ETag) -> its Entry: a stored version never changes and its ETag changes
# with every write, so each version is serialized once. Not a read cache: the page is still
# queried from the store on every request; only what is computed from one exact version is kept.
# Per store: an ETag is unique within one store only (a new SQLite file counts from 1 again).
_ENTRIES_MAX = 8192
Entries = dict[tuple[str, str], Entry]
_entries_by_store: weakref.WeakKeyDictionary[DocumentStore, Entries] = weakref.WeakKeyDictionary()


def entries_of(store: DocumentStore) -> Entries:
    """The store's entries (a throwaway dict for a store that cannot be weakly referenced)."""
    try:
        entries = _entries_by_store.get(store)
        if entries is None:
            entries = _entries_by_store[store] = {}
    except TypeError:
        return {}
    return entries


def stored_entry(entries: Entries, doc: Document) -> Entry:
    """The listing entry of a document exactly as read from the store (with its `_etag`)."""
    etag, product_id = doc.get("_etag"), doc.get("id")
    if not isinstance(etag, str) or not isinstance(product_id, str):
        return _entry(stored_to_public(doc))
    key = (product_id, etag)
    entry = entries.get(key)
    if entry is None:
        entry = _entry(stored_to_public(doc))
        if len(entries) >= _ENTRIES_MAX:
            entries.clear()
        entries[key] = entry
    return entry


_TRUE, _FALSE = b"true", b"false"


def page_json(store: DocumentStore, entries: Sequence[Entry], continuation_token: str | None) -> bytes:
    """The page's JSON with each sku's current availability: `{"items": [...], "continuationToken"}`
    as `ProductListPage` serializes it (each item the product's fields, then `inStock` and
    `availability`: one `{sku, available, inStock}` per sellable sku)."""
    ids = [entry.product.id for entry in entries]
    stock = available_by_product(store=store, product_ids=ids) if ids else {}
    items: list[bytes] = []
    for entry in entries:
        levels = stock.get(entry.product.id, {})
        availability = []
        any_in_stock = False
        for sku in entry.skus:
            available = levels.get(sku, 0)
            in_stock = available > 0
            any_in_stock = any_in_stock or in_stock
            availability.append({"sku": sku, "available": available, "inStock": in_stock})
        items.append(
            b"".join(
                (
                    entry.head,
                    b',"inStock":',
                    _TRUE if any_in_stock else _FALSE,
                    b',"availability":',
                    orjson.dumps(availability),
                    b"}",
                )
            )
        )
    return b"".join(
        (b'{"items":[', b",".join(items), b'],"continuationToken":', orjson.dumps(continuation_token), b"}")
    )
