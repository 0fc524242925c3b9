"""In-process read cache of products and product listings, with a short TTL.

Why: product reads dominate traffic and a product changes rarely, so each instance keeps what it
read for `CATALOG_CACHE_TTL_SECONDS`. The service invalidates an entry as soon as it commits an
event about that product on this instance (read-your-writes here); other instances see the change
once their entry expires. Listings are invalidated wholesale by any product event, since any
change may move a product in or out of a filtered page.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from typing import Any

from shared.messaging.events import CloudEvent

PRODUCT_EVENTS = frozenset({"ProductCreated", "ProductModified", "ProductArchived", "PriceUpdated"})
MAX_ENTRIES = 10_000


class TtlCache:
    def __init__(self, ttl: Callable[[], float], clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl = ttl
        self._clock = clock
        self._lock = threading.Lock()
        self._products: dict[str, tuple[float, Any]] = {}
        self._lists: dict[Hashable, tuple[float, Any]] = {}
        # Bumped by every invalidation: a reader that started before one must not cache its result
        # (it may have read the document before the write that caused the invalidation).
        self._generation = 0

    def _get(self, table: dict[Any, tuple[float, Any]], key: Hashable) -> Any | None:
        with self._lock:
            entry = table.get(key)
            if entry is None:
                return None
            if entry[0] <= self._clock():
                del table[key]
                return None
            return entry[1]

    def generation(self) -> int:
        """Take this before reading the store; pass it to `put_*` as `since`."""
        with self._lock:
            return self._generation

    def _put(self, table: dict[Any, tuple[float, Any]], key: Hashable, value: Any, since: int | None) -> bool:
        ttl = self._ttl()
        if ttl <= 0:
            return False
        with self._lock:
            if since is not None and since != self._generation:
                return False  # invalidated while the value was being read: it may be stale
            if len(table) >= MAX_ENTRIES:
                table.clear()  # crude but bounded: a burst of distinct keys cannot grow memory
            table[key] = (self._clock() + ttl, value)
            return True

    def get_product(self, product_id: str) -> Any | None:
        return self._get(self._products, product_id)

    def put_product(self, product_id: str, value: Any, *, since: int | None = None) -> bool:
        """True if cached (so `value` is now shared by every reader and must not change)."""
        return self._put(self._products, product_id, value, since)

    def get_list(self, key: Hashable) -> Any | None:
        return self._get(self._lists, key)

    def put_list(self, key: Hashable, value: Any, *, since: int | None = None) -> bool:
        return self._put(self._lists, key, value, since)

    def invalidate(self, product_id: str) -> None:
        with self._lock:
            self._generation += 1
            self._products.pop(product_id, None)
            self._lists.clear()

    def on_event(self, event: CloudEvent) -> None:
        """Drop what a product event makes stale (called after the event's commit)."""
        if event.type in PRODUCT_EVENTS and event.subject:
            self.invalidate(event.subject)

    def clear(self) -> None:
        with self._lock:
            self._generation += 1
            self._products.clear()
            self._lists.clear()


def _settings_ttl() -> float:
    from shared.settings import get_settings

    return get_settings().catalog_cache_ttl_seconds


def _stock_ttl() -> float:
    from shared.settings import get_settings

    return get_settings().catalog_listing_stock_ttl_seconds


cache = TtlCache(_settings_ttl)
# Listing pages with their availability (catalog.listing): a much shorter TTL, since stock moves
# without catalog events. Keyed with `cache.generation()`, so a catalog write drops them too.
stock_pages = TtlCache(_stock_ttl)
