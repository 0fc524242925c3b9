"""Stock levels: read, create with a product's skus, and admin adjustments (with an audit trail).

Reservations (the order workflow's reserve / release / commit) are in `reservations.py`.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

from shared.inventory.events import InventoryAdjusted, StockLow
from shared.inventory.model import StockItem
from shared.inventory.repository import InventoryRepository
from shared.kernel.errors import Conflict, NotFound, ValidationFailed
from shared.messaging.events import CloudEvent, new_event
from shared.ports.documents import (
    Container,
    Document,
    DocumentExists,
    DocumentNotFound,
    DocumentStore,
    ETagMismatch,
    Page,
    Query,
)
from shared.settings import get_settings
from shared.storage.per_store import per_store
from shared.storage.retry import TryAgain, retry_on_conflict


class SkuTaken(Conflict):
    code = "sku_taken"
    title = "Sku already in use"


# One repository per store (as catalog.service does): its containers are opened once, not on
# every call. A dropped store takes its repository with it.
_REPO_ATTRIBUTE = "_inventory_repository"


def _repo(store: DocumentStore) -> InventoryRepository:
    return per_store(store, _REPO_ATTRIBUTE, InventoryRepository, InventoryRepository)


def stock_low_event(item: StockItem, was_low: bool) -> list[CloudEvent]:
    """StockLow when a change takes the sku across its threshold, not on every change below it."""
    if item.is_low and not was_low:
        data = StockLow(sku=item.sku, available=item.available, threshold=item.low_stock_threshold)
        return [new_event(data, subject=item.sku)]
    return []


def get_stock(*, store: DocumentStore, sku: str) -> StockItem:
    item = _repo(store).get_stock(sku)
    if item is None:
        raise NotFound(f"no inventory record for sku {sku}")
    return item


def find_stock(*, store: DocumentStore, sku: str) -> StockItem | None:
    """The sku's stock record, None if the sku is unknown (for other contexts' lookups)."""
    return _repo(store).get_stock(sku)


def ensure_stock(
    *,
    store: DocumentStore,
    sku: str,
    product_id: str,
    product_exists: Callable[[str], bool],
) -> StockItem:
    """The sku's record, created at 0 on hand. Idempotent for the same product; a sku owned by
    another live product is a 409. A record whose product was never created (its creator crashed
    between the two writes) is taken over, so the orphan cannot block the sku forever."""
    repo = _repo(store)
    threshold = get_settings().inventory_low_stock_threshold

    def attempt() -> StockItem:
        try:
            return repo.create_stock(StockItem(sku=sku, product_id=product_id, low_stock_threshold=threshold))
        except DocumentExists:
            pass
        existing = repo.get_stock(sku)
        if existing is None:
            raise TryAgain
        if existing.product_id == product_id:
            return existing
        if existing.product_id and product_exists(existing.product_id):
            raise SkuTaken(f"sku {sku} belongs to product {existing.product_id}")
        existing.product_id = product_id
        return repo.save_stock(existing)

    def exhausted() -> StockItem:
        raise SkuTaken(f"sku {sku} is being created concurrently")

    return retry_on_conflict(attempt, attempts=10, backoff=False, exhausted=exhausted)


def check_skus_free(*, store: DocumentStore, skus: list[str], product_exists: Callable[[str], bool]) -> None:
    """409 `sku_taken` if any of `skus` belongs to another live product; writes nothing. Lets a
    product create refuse before it creates any record (ensure_stock checks again, for races)."""
    repo = _repo(store)
    for sku in skus:
        existing = repo.get_stock(sku)
        if existing is not None and existing.product_id and product_exists(existing.product_id):
            raise SkuTaken(f"sku {sku} belongs to product {existing.product_id}")


def discard_unused_stock(*, store: DocumentStore, sku: str, product_id: str) -> bool:
    """Undo `ensure_stock` for a product that was not written after all: delete the sku's record
    if it is still this product's and untouched (nothing on hand, reserved or held). A record
    someone else owns, or that was stocked meanwhile, is left alone. True if deleted."""
    repo = _repo(store)
    item = repo.get_stock(sku)
    if item is None or item.product_id != product_id or item.on_hand or item.reserved or item.holds:
        return False
    try:
        repo.delete_stock(item)
    except (ETagMismatch, DocumentNotFound):
        return False  # it changed or went meanwhile: not ours to remove any more
    return True


def adjust_stock(
    *,
    store: DocumentStore,
    sku: str,
    delta: int,
    reason: str,
    actor: str | None = None,
    now: datetime | None = None,
) -> StockItem:
    """Change on-hand by `delta`; 409 `insufficient_stock` if `available` would go negative."""
    if delta == 0:
        raise ValidationFailed.field("delta", "must not be zero")
    repo = _repo(store)
    at = now or datetime.now(UTC)

    def attempt() -> StockItem:
        item = get_stock(store=store, sku=sku)
        was_low = item.is_low
        item.adjust(delta)
        record = repo.adjustment_record(sku, delta, reason, actor, at, item)
        adjusted = InventoryAdjusted(
            sku=sku,
            delta=delta,
            reason=reason,
            on_hand=item.on_hand,
            reserved=item.reserved,
            available=item.available,
            adjusted_by=actor,
        )
        events = [new_event(adjusted, subject=sku), *stock_low_event(item, was_low)]
        return repo.save_stock(item, events=events, records=[record])

    return retry_on_conflict(attempt)


def set_low_stock_threshold(*, store: DocumentStore, sku: str, threshold: int) -> StockItem:
    if threshold < 0:
        raise ValidationFailed.field("lowStockThreshold", "must be at least 0")
    repo = _repo(store)

    def attempt() -> StockItem:
        item = get_stock(store=store, sku=sku)
        was_low = item.is_low
        item.low_stock_threshold = threshold
        return repo.save_stock(item, events=stock_low_event(item, was_low))

    return retry_on_conflict(attempt)


def list_adjustments(
    *, store: DocumentStore, sku: str, limit: int = 20, continuation_token: str | None = None
) -> Page:
    get_stock(store=store, sku=sku)  # 404 for an unknown sku rather than an empty list
    return _repo(store).adjustments(sku, limit=limit, continuation_token=continuation_token)


# Products per query of `available_by_product`: a listing page (at most 100 products) is one query.
PRODUCTS_PER_QUERY = 100

# Per store, (sku, ETag) -> (product id, available) of that stored version of a stock record
# (None: not a stock record). A stored version never changes and every write gives a new ETag,
# so what is derived from one stays true; the versions themselves are queried on every call
# (not a cache of the stock: a changed record has a new ETag and is read again). Per store: an
# ETag is unique within one store only (a new SQLite file counts from 1 again).
_LEVELS_MAX = 65536
_levels_by_store: weakref.WeakKeyDictionary[DocumentStore, dict[tuple[str, str], tuple[str, int] | None]] = (
    weakref.WeakKeyDictionary()
)
_UNSEEN = object()


def _levels_of(store: DocumentStore) -> dict[tuple[str, str], tuple[str, int] | None]:
    try:
        levels = _levels_by_store.get(store)
        if levels is None:
            levels = _levels_by_store[store] = {}
    except TypeError:  # a store that cannot be weakly referenced or hashed: nothing kept
        return {}
    return levels


def _level(doc: Document) -> tuple[str, int] | None:
    product_id = doc.get("productId")
    if doc.get("docType") != "stock" or product_id is None:
        return None
    # What StockItem.from_document(doc).available gives, without building the item and copying
    # its holds; never below zero on a listing.
    return str(product_id), max(0, int(doc.get("onHand", 0)) - int(doc.get("reserved", 0)))


def available_by_product(*, store: DocumentStore, product_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """`{productId: {sku: available}}` of the given products' skus, in one query per
    PRODUCTS_PER_QUERY products: a product listing shows availability without a read per sku.
    Found by the stock records' `productId` (indexed; adjustment records have none), not by sku:
    the sku is the partition key, which a query across partitions cannot use.

    The query asks for the records' versions (`query_versions`: ids and ETags); only when one
    is a version not seen before are the records themselves queried (the same filter, once)."""
    from shared.ports.documents import Filter, Query

    wanted = list(dict.fromkeys(product_ids))
    found: dict[str, dict[str, int]] = {}
    stock = _repo(store).stock
    _levels = _levels_of(store)
    for start in range(0, len(wanted), PRODUCTS_PER_QUERY):
        # productId alone: with a docType filter beside it SQLite walks the docType index (every
        # stock record) instead of one productId index probe per product. Only stock records
        # carry a productId; _level checks it.
        # A tuple, not a list: a hashable query, whose SQL the embedded store compiles once.
        query = Query(where=(Filter("productId", "in", tuple(wanted[start : start + PRODUCTS_PER_QUERY])),))
        versions = [(str(v["id"]), str(v["_etag"])) for v in _all_versions(stock, query)]
        levels = [(key, _levels.get(key, _UNSEEN)) for key in versions]
        if any(level is _UNSEEN for _, level in levels):
            # The records as they are now (a record may have changed since its version was read:
            # the newer one is the one to show).
            if len(_levels) >= _LEVELS_MAX:
                _levels.clear()  # bounded: the next calls read their records again
            levels = []
            for doc in stock.query_all(query):
                key = (str(doc["id"]), str(doc["_etag"]))
                _levels[key] = _level(doc)
                levels.append((key, _levels[key]))
        for (sku, _), level in levels:
            if isinstance(level, tuple):
                found.setdefault(level[0], {})[sku] = level[1]
    return found


def _all_versions(container: Container, query: Query) -> list[Document]:
    items: list[Document] = []
    token: str | None = None
    while True:
        page = container.query_versions(query, continuation_token=token)
        items.extend(page.items)
        token = page.continuation_token
        if not token:
            return items


def available_by_sku(*, store: DocumentStore) -> dict[str, int]:
    """Every sku's available count in one pass (a full search rebuild).

    Unfiltered key-order pages, filtered here: with a docType filter SQLite sorts every match
    again for each page (quadratic: 28 s at 16k skus); see catalog.all_active_products."""
    from shared.messaging.outbox import OUTBOX_FIELD
    from shared.ports.documents import Query

    docs = _repo(store).stock.query_all(Query())
    return {
        str(d["id"]): int(d.get("onHand", 0)) - int(d.get("reserved", 0))
        for d in docs
        if d.get("docType") == "stock" and OUTBOX_FIELD not in d
    }
