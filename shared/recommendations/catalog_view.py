"""The catalog/inventory adapter behind `CatalogView`: a snapshot of every product (name,
category name, archived or not, in stock or not), rebuilt from the documents every
`RECS_CATALOG_REFRESH_SECONDS` (default 5).

Why a snapshot: a recommendation list filters hundreds of candidates against archive and stock
state, and one document read per candidate would cost more than the model. Only the very first
call builds it on a request; after that an expired snapshot is rebuilt by a background thread
while every request keeps serving the previous one (a rebuild reads every product and stock
record: tens of milliseconds no request should wait for). The containers are the catalog's and
inventory's (infra/containers.json names them); this adapter only reads, and the serving path
never imports those contexts' services.

The background rebuild reads in slices (`SLICE_DOCUMENTS` per page) and pauses
`SLICE_PAUSE_SECONDS` after each: done in one go it took 13-20 ms of CPU every 5 s (more under
load) and every request in flight waited behind it (the p99 of `GET /recommendations`,
docs/recommendations.md "Round 4"); sliced, a request waits behind one slice at most (~1.6 ms)
and the rebuild takes ~150 ms of wall time, well within the refresh period. Smaller pages cost
more in all (every page is a query of its own: 64 documents, 21 ms in all; 16, 60 ms). An
unchanged product keeps its `CatalogItem` object and an unchanged snapshot its dict (compared as
it is built), so a rebuild that finds nothing new allocates next to nothing that lives.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import suppress

from shared.messaging.outbox import NOT_OUTBOX
from shared.ports.documents import DocumentNotFound, DocumentStore, Filter, Query
from shared.recommendations.ports import CatalogItem, CatalogView

log = logging.getLogger("smartcommerce.recommendations")
PRODUCTS = "products"
PRODUCTS_PK = "/productId"
CATEGORIES = "categories"
CATEGORIES_PK = "/id"
STOCK = "inventory"
STOCK_PK = "/sku"
SLICE_DOCUMENTS = 64  # per page of a background rebuild: ~1.5-2 ms (each page is a query of its own)
SLICE_PAUSE_SECONDS = 0.01  # after each page: the requests run meanwhile


class StoreCatalogView(CatalogView):
    def __init__(
        self,
        store: DocumentStore,
        *,
        refresh_seconds: Callable[[], float] = lambda: 5.0,
        clock: Callable[[], float] = time.monotonic,
        pause_seconds: float = SLICE_PAUSE_SECONDS,
        sleep: Callable[[float], None] = time.sleep,
        slice_documents: int = SLICE_DOCUMENTS,
    ) -> None:
        if slice_documents < 1:
            raise ValueError("slice_documents must be at least 1")
        self._store = store
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot: dict[str, CatalogItem] | None = None
        self._expires = float("-inf")
        self._pause_seconds = pause_seconds  # between slices of a background rebuild
        self._sleep = sleep
        # Per page of a background rebuild. A parameter so that a test can page a small catalog:
        # more than one default slice of products takes minutes to write on cosmosdb-server.
        self._slice_documents = slice_documents

    def items(self) -> Mapping[str, CatalogItem]:
        snapshot = self._snapshot
        if snapshot is not None and self._clock() < self._expires:
            return snapshot
        if snapshot is None:  # the first call builds; every later rebuild runs off the request path
            with self._lock:
                if self._snapshot is None:
                    self._rebuild()
            assert self._snapshot is not None
            return self._snapshot
        if self._refresh_seconds() <= 0:  # refreshing on every call (tests): synchronously
            with self._lock:
                self._rebuild()
            assert self._snapshot is not None
            return self._snapshot
        if self._lock.acquire(blocking=False):
            threading.Thread(
                target=self._rebuild_and_release, name="recs-catalog-refresh", daemon=True
            ).start()
        return snapshot

    def _rebuild(self, pause: float = 0.0) -> None:
        fresh = self._build(pause)
        # Unchanged (the usual case): `_build` returned the old object, so everything derived
        # from it (the unavailable set, the remembered recommendation lists) stays valid; it is
        # compared by identity downstream.
        self._snapshot = fresh
        self._expires = self._clock() + self._refresh_seconds()

    def _rebuild_and_release(self) -> None:
        try:
            self._rebuild(self._pause_seconds)
        except Exception:  # keep serving the previous snapshot; retried at the next expiry
            log.exception("recommendations: catalog snapshot refresh failed")
            self._expires = self._clock() + max(self._refresh_seconds(), 1.0)
        finally:
            self._lock.release()

    def lookup(self, product_id: str) -> CatalogItem | None:
        item = self.items().get(product_id)
        if item is not None:
            return item
        with suppress(DocumentNotFound):
            doc = self._store.container(PRODUCTS, PRODUCTS_PK).read(product_id, product_id)
            if doc.get("docType") == "product":
                return self._read_through(doc)
        return None

    def _read_through(self, doc: dict) -> CatalogItem:
        """A product the snapshot does not know yet, from point reads of its category and its
        skus' stock (not the whole catalog's: this runs on a request)."""
        category = str(doc.get("categoryId") or "")
        categories: dict[str, str] = {}
        if category:
            with suppress(DocumentNotFound):
                found = self._store.container(CATEGORIES, CATEGORIES_PK).read(category, category)
                categories[category] = str(found.get("name") or category)
        available: dict[str, int] = {}
        stock = self._store.container(STOCK, STOCK_PK)
        for sku in {str(s) for s in (doc.get("skus") or [doc.get("sku")]) if s}:
            with suppress(DocumentNotFound):
                found = stock.read(sku, sku)
                if found.get("docType") == "stock":
                    available[sku] = int(found.get("onHand", 0)) - int(found.get("reserved", 0))
        return self._item(doc, categories, available)

    def invalidate(self) -> None:
        self._expires = float("-inf")

    # --- building -------------------------------------------------------------------------------
    def _pages(self, name: str, pk: str, query: Query, pause: float) -> Iterator[list[dict]]:
        """The query's documents a slice at a time, pausing `pause` s between slices (0: in one go,
        the adapter's default pages: the first build, `lookup`, and tests refreshing every call)."""
        container = self._store.container(name, pk)
        if pause <= 0:
            yield container.query_all(query)
            return
        token: str | None = None
        while True:
            page = container.query(query, max_items=self._slice_documents, continuation_token=token)
            yield page.items
            token = page.continuation_token
            if not token:
                return
            self._sleep(pause)

    def _category_names(self, pause: float = 0.0) -> dict[str, str]:
        return {
            d["id"]: str(d.get("name") or d["id"])
            for docs in self._pages(CATEGORIES, CATEGORIES_PK, Query(), pause)
            for d in docs
        }

    def _available(self, pause: float = 0.0) -> dict[str, int]:
        query = Query(where=(Filter("docType", "=", "stock"),))
        return {
            d["sku"]: int(d.get("onHand", 0)) - int(d.get("reserved", 0))
            for docs in self._pages(STOCK, STOCK_PK, query, pause)
            for d in docs
        }

    @staticmethod
    def _item(doc: dict, categories: Mapping[str, str], available: Mapping[str, int]) -> CatalogItem:
        skus = doc.get("skus") or [doc.get("sku")]
        category = str(doc.get("categoryId") or "")
        return CatalogItem(
            product_id=doc["id"],
            name=str(doc.get("name") or doc["id"]),
            category_id=category,
            category_name=categories.get(category, category),
            active=doc.get("status", "active") == "active",
            in_stock=any(available.get(str(sku), 0) > 0 for sku in skus if sku),
        )

    def _build(self, pause: float = 0.0) -> dict[str, CatalogItem]:
        """The fresh snapshot; the current object itself when nothing in it changed."""
        old = self._snapshot or {}
        categories, available = self._category_names(pause), self._available(pause)
        query = Query(where=(Filter("docType", "=", "product"), NOT_OUTBOX))
        fresh: dict[str, CatalogItem] = {}
        changed = False
        for docs in self._pages(PRODUCTS, PRODUCTS_PK, query, pause):
            for doc in docs:
                item = self._item(doc, categories, available)
                known = old.get(item.product_id)
                if known == item:
                    item = known  # the same object: an unchanged product allocates nothing that lives
                else:
                    changed = True
                fresh[item.product_id] = item
        if not changed and len(fresh) == len(old) and self._snapshot is not None:
            return self._snapshot
        return fresh
