"""Catalog use cases: products (create, read, list, update, archive, price). Images are in
`images.py`, categories and brands in `taxonomy.py`.

Each sku a product sells gets its inventory record (0 on hand) *before* the product is written,
by calling the inventory context's `ensure_stock` in the same request: the sku is then known to
inventory the moment the product is visible (`GET /inventory/{sku}` answers 200 right after
`POST /products`), and a sku owned by another product is refused before anything is written. If
the product write then fails, the records are orphans that `ensure_stock` hands to the next
product claiming the sku.

A request that is refused leaves no records behind (issue 17, point 10): every sku is checked
before the first record is written, and records this request created are removed again when a
later step fails (another sku lost to a concurrent create, the product write itself).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Generic, TypeVar

from shared.catalog import listing
from shared.catalog.cache import cache, stock_pages
from shared.catalog.events import PriceUpdated, ProductArchived, ProductCreated, ProductModified
from shared.catalog.model import (
    apply_update,
    check_price,
    check_product,
    etag_matches,
    new_document,
    product_skus,
    set_price,
    stored_to_public,
    to_public,
)
from shared.catalog.repository import CatalogRepository
from shared.catalog.schemas import (
    PriceHistoryPublic,
    PricePoint,
    ProductCreate,
    ProductListPage,
    ProductListQuery,
    ProductPublic,
)
from shared.inventory.service import check_skus_free, discard_unused_stock, ensure_stock, find_stock
from shared.kernel.errors import NotFound, PreconditionFailed, ValidationFailed
from shared.kernel.frozen import freeze_json
from shared.kernel.ids import new_id
from shared.kernel.money import Money
from shared.messaging.events import CloudEvent, new_event
from shared.ports.documents import Document, DocumentStore
from shared.storage.per_store import per_store

T = TypeVar("T")
log = logging.getLogger("smartcommerce.catalog")


@dataclass(frozen=True)
class Versioned(Generic[T]):
    """A resource with the ETag it was read or written at."""

    value: T
    etag: str


@dataclass(frozen=True)
class SkuInfo:
    """What the order workflow needs to price a line."""

    sku: str
    product_id: str
    name: str
    unit_price: Money
    active: bool


# One repository per store: opening its three containers on every request (the store's lock,
# the index declarations checked again) was ~5% of an uncached listing. A store that is dropped
# (a test's) takes its repository with it.
_REPO_ATTRIBUTE = "_catalog_repository"


def _repo(store: DocumentStore) -> CatalogRepository:
    return per_store(store, _REPO_ATTRIBUTE, CatalogRepository, CatalogRepository)


def _load(repo: CatalogRepository, product_id: str) -> Document:
    doc = repo.get_product(product_id)
    if doc is None:
        raise NotFound(f"product {product_id} does not exist")
    return doc


def _check_references(repo: CatalogRepository, data: ProductCreate) -> None:
    if repo.get_taxon("category", data.category_id) is None:
        raise ValidationFailed.field("categoryId", f"unknown category {data.category_id}")
    if repo.get_taxon("brand", data.brand_id) is None:
        raise ValidationFailed.field("brandId", f"unknown brand {data.brand_id}")


def _ensure_skus(
    store: DocumentStore, repo: CatalogRepository, product_id: str, skus: list[str]
) -> list[str]:
    """Give each sku its inventory record; the skus whose record this call created (or took over
    as an orphan). All skus are checked before any record is written, and if one is refused
    after all (a race), the records made so far are removed: a refused product leaves nothing."""

    def product_exists(pid: str) -> bool:
        return repo.get_product(pid) is not None

    check_skus_free(store=store, skus=skus, product_exists=product_exists)
    claimed: list[str] = []
    try:
        for sku in skus:
            before = find_stock(store=store, sku=sku)
            ensure_stock(store=store, sku=sku, product_id=product_id, product_exists=product_exists)
            if before is None or before.product_id != product_id:
                claimed.append(sku)
    except BaseException:
        _discard_skus(store, product_id, claimed)
        raise
    return claimed


def _discard_skus(store: DocumentStore, product_id: str, skus: list[str]) -> None:
    """Compensation for a product that was not written: its untouched new inventory records go."""
    for sku in skus:
        try:
            discard_unused_stock(store=store, sku=sku, product_id=product_id)
        except Exception:  # best effort: a leftover is an orphan ensure_stock hands on anyway
            log.warning("inventory record of sku %s could not be removed after a failed write", sku)


def _committed(doc: Document, events: list[CloudEvent]) -> Versioned[ProductPublic]:
    for event in events:
        cache.on_event(event)
    return Versioned(to_public(doc), doc["_etag"])


def get_product(*, store: DocumentStore, product_id: str) -> Versioned[ProductPublic]:
    cached = cache.get_product(product_id)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    # Taken before the read: a write committed meanwhile invalidates, and then this (possibly
    # older) read must not be cached over it.
    generation = cache.generation()
    doc = _load(_repo(store), product_id)
    result = Versioned(stored_to_public(doc), doc["_etag"])
    if cache.put_product(product_id, result, since=generation):
        freeze_json(result.value)  # cache hits then send these bytes rather than re-serializing
    return result


def read_product(*, store: DocumentStore, product_id: str) -> Versioned[ProductPublic]:
    """Uncached: for another context's conditional write (the ETag must be the current one)."""
    doc = _load(_repo(store), product_id)
    return Versioned(to_public(doc), doc["_etag"])


def list_products(*, store: DocumentStore, query: ProductListQuery) -> ProductListPage:
    """Active products by name; `category` / `brand` by id, slug or name; each with its stock."""
    return ProductListPage.model_validate_json(list_products_json(store=store, query=query))


def list_products_json(*, store: DocumentStore, query: ProductListQuery) -> bytes:
    """`list_products` as the JSON the API sends (what GET /products serves, without building and
    serializing a model per product: see `listing.page_json`)."""
    # The page with its stock is reused for a second (CATALOG_LISTING_STOCK_TTL_SECONDS): reading
    # the stock of 20 products costs a query, the cached page nothing.
    stock_key = (cache.generation(), *sorted(query.model_dump().items()))
    cached = stock_pages.get_list(stock_key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    repo = _repo(store)
    # Resolved before the product cache: a category created since must be found, and its key
    # then names ids, not spellings.
    categories = listing.resolve_taxa(repo, "category", query.category)
    brands = listing.resolve_taxa(repo, "brand", query.brand)
    entries, token = _product_page(store, repo, query, categories, brands)
    page = listing.page_json(store, entries, token)
    stock_pages.put_list(stock_key, page)
    return page


def _product_page(
    store: DocumentStore,
    repo: CatalogRepository,
    query: ProductListQuery,
    categories: tuple[str, ...] | None,
    brands: tuple[str, ...] | None,
) -> tuple[tuple[listing.Entry, ...], str | None]:
    """The page's products (each stored version's listing entry) and the next page's token."""
    key = tuple(sorted({**query.model_dump(), "category": categories, "brand": brands}.items()))
    cached = cache.get_list(key)
    if cached is not None:
        return cached  # type: ignore[no-any-return]
    generation = cache.generation()
    # The page's versions first (ids and ETags: no body read or decoded); the bodies only when a
    # version has no entry yet (a product written since, a new process). Still one store query
    # per request, so this is not a read cache: a change shows on the next request.
    memo = listing.entries_of(store)
    versions = repo.list_product_versions(query, categories=categories, brands=brands)
    known = [memo.get((v["id"], v["_etag"])) for v in versions.items]
    entries = [entry for entry in known if entry is not None]
    if len(entries) == len(known):
        result = (tuple(entries), versions.continuation_token)
    else:
        page = repo.list_products(query, categories=categories, brands=brands)
        result = (tuple(listing.stored_entry(memo, doc) for doc in page.items), page.continuation_token)
    cache.put_list(key, result, since=generation)
    return result


def create_product(*, store: DocumentStore, data: ProductCreate) -> Versioned[ProductPublic]:
    check_product(data)
    repo = _repo(store)
    _check_references(repo, data)
    product_id = new_id()
    skus = product_skus(data)
    claimed = _ensure_skus(store, repo, product_id, skus)
    try:
        return _create(repo, product_id, data, skus)
    except BaseException:
        _discard_skus(store, product_id, claimed)
        raise


def _create(
    repo: CatalogRepository, product_id: str, data: ProductCreate, skus: list[str]
) -> Versioned[ProductPublic]:
    doc = new_document(product_id, data, datetime.now(UTC))
    created = ProductCreated(
        product_id=product_id,
        sku=data.sku,
        skus=skus,
        name=data.name,
        category_id=data.category_id,
        brand_id=data.brand_id,
        price=data.price,
    )
    events = [new_event(created, subject=product_id)]
    return _committed(repo.create_product(doc, events), events)


def _require_current(doc: Document, if_match: str) -> None:
    if not etag_matches(if_match, doc["_etag"]):
        raise PreconditionFailed("the product changed since it was read; fetch it again")


def update_product(
    *, store: DocumentStore, product_id: str, data: ProductCreate, if_match: str
) -> Versioned[ProductPublic]:
    check_product(data)
    repo = _repo(store)
    doc = _load(repo, product_id)
    _require_current(doc, if_match)
    _check_references(repo, data)
    old_price = Money.model_validate(doc["price"])
    if data.price.currency != old_price.currency:
        # As for PUT .../price: a product keeps its currency (its price history and the listing's
        # minPrice/maxPrice compare amounts of one currency).
        raise ValidationFailed.field("price.currency", f"must stay {old_price.currency}")
    new_skus = [sku for sku in product_skus(data) if sku not in doc.get("skus", [])]
    claimed = _ensure_skus(store, repo, product_id, new_skus)
    try:
        return _update(repo, doc, data, old_price)
    except BaseException:
        _discard_skus(store, product_id, claimed)
        raise


def _update(
    repo: CatalogRepository, doc: Document, data: ProductCreate, old_price: Money
) -> Versioned[ProductPublic]:
    product_id, etag = doc["id"], doc["_etag"]
    changed = apply_update(doc, data, datetime.now(UTC))
    events: list[CloudEvent] = []
    if changed:
        events.append(
            new_event(
                ProductModified(product_id=product_id, changed=changed, skus=doc["skus"]), subject=product_id
            )
        )
    if "price" in changed:
        events.append(_price_event(product_id, doc["sku"], old_price, data.price))
    if not events:
        return Versioned(to_public(doc), etag)
    return _committed(repo.replace_product(doc, if_match=etag, events=events), events)


def _price_event(product_id: str, sku: str, old: Money, new: Money) -> CloudEvent:
    return new_event(
        PriceUpdated(product_id=product_id, sku=sku, old_price=old, new_price=new), subject=product_id
    )


def update_price(
    *, store: DocumentStore, product_id: str, price: Money, if_match: str
) -> Versioned[ProductPublic]:
    """A new price, kept in the history; `PriceUpdated` carries the old and the new price."""
    repo = _repo(store)
    doc = _load(repo, product_id)
    _require_current(doc, if_match)
    old_price = Money.model_validate(doc["price"])
    if old_price.currency != price.currency:
        raise ValidationFailed.field("price.currency", f"must stay {old_price.currency}")
    check_price(price, bool(doc.get("allowZeroPrice")))
    if old_price == price:
        return Versioned(to_public(doc), doc["_etag"])
    etag = doc["_etag"]
    set_price(doc, price, datetime.now(UTC))
    events = [_price_event(product_id, doc["sku"], old_price, price)]
    return _committed(repo.replace_product(doc, if_match=etag, events=events), events)


def archive_product(*, store: DocumentStore, product_id: str, if_match: str | None = None) -> None:
    """Archived products stay readable by id but are no longer listed. Idempotent."""
    repo = _repo(store)
    doc = _load(repo, product_id)
    if if_match is not None:
        _require_current(doc, if_match)
    if doc["status"] == "archived":
        return
    etag = doc["_etag"]
    doc["status"] = "archived"
    doc["updatedAt"] = datetime.now(UTC).isoformat()
    events = [new_event(ProductArchived(product_id=product_id, skus=doc["skus"]), subject=product_id)]
    _committed(repo.replace_product(doc, if_match=etag, events=events), events)


def price_history(*, store: DocumentStore, product_id: str) -> PriceHistoryPublic:
    doc = _load(_repo(store), product_id)
    points = [PricePoint.model_validate(p) for p in doc.get("priceHistory", [])]
    return PriceHistoryPublic(product_id=product_id, items=points)


def find_sku(*, store: DocumentStore, sku: str) -> SkuInfo | None:
    """The product selling `sku` and the sku's unit price (a variant's own, else the product's)."""
    item = find_stock(store=store, sku=sku)
    if item is None or item.product_id is None:
        return None
    doc = _repo(store).get_product(item.product_id)
    if doc is None or sku not in doc.get("skus", []):
        return None
    product = to_public(doc)
    price = next((v.price for v in product.variants if v.sku == sku and v.price is not None), product.price)
    return SkuInfo(sku, product.id, product.name, price, product.status == "active")


# --- read models for other contexts (search): the stored document, uncached -----------------


def product_document(*, store: DocumentStore, product_id: str) -> Document | None:
    """The stored product (archived ones too), read from the store, never the cache: a consumer
    of the catalog's events must see the state the event announced."""
    return _repo(store).get_product(product_id)


def all_active_products(*, store: DocumentStore) -> list[Document]:
    """Every active product document (a full search rebuild).

    One unfiltered pass in key order, filtered here: with the filters in the query, SQLite walks
    the docType index and sorts every match again for each 100-document page (quadratic: 23 s at
    10k products, most of an hour at 100k), while the plain key-order pages are linear (2 s)."""
    from shared.messaging.outbox import OUTBOX_FIELD
    from shared.ports.documents import Query

    docs = _repo(store).products.query_all(Query())
    return [
        d
        for d in docs
        if d.get("docType") == "product" and d.get("status") == "active" and OUTBOX_FIELD not in d
    ]


def taxon_name(*, store: DocumentStore, kind: str, taxon_id: str) -> str | None:
    """A category's or brand's display name; None if it does not exist."""
    doc = _repo(store).get_taxon(kind, taxon_id)
    return str(doc.get("name", "")) if doc else None
