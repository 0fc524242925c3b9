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
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping
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


class StoreCatalogView(CatalogView):
    def __init__(
        self,
        store: DocumentStore,
        *,
        refresh_seconds: Callable[[], float] = lambda: 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._snapshot: dict[str, CatalogItem] | None = None
        self._expires = float("-inf")

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

    def _rebuild(self) -> None:
        fresh = self._build()
        # Unchanged (the usual case): keep the old object, so everything derived from it (the
        # unavailable set, the remembered recommendation lists) stays valid; it is compared by
        # identity downstream.
        if fresh != self._snapshot:
            self._snapshot = fresh
        self._expires = self._clock() + self._refresh_seconds()

    def _rebuild_and_release(self) -> None:
        try:
            self._rebuild()
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
                return self._item(doc, self._category_names(), self._available())
        return None

    def invalidate(self) -> None:
        self._expires = float("-inf")

    # --- building -------------------------------------------------------------------------------
    def _category_names(self) -> dict[str, str]:
        docs = self._store.container(CATEGORIES, CATEGORIES_PK).query_all(Query())
        return {d["id"]: str(d.get("name") or d["id"]) for d in docs}

    def _available(self) -> dict[str, int]:
        docs = self._store.container(STOCK, STOCK_PK).query_all(
            Query(where=(Filter("docType", "=", "stock"),))
        )
        return {d["sku"]: int(d.get("onHand", 0)) - int(d.get("reserved", 0)) for d in docs}

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

    def _build(self) -> dict[str, CatalogItem]:
        categories, available = self._category_names(), self._available()
        query = Query(where=(Filter("docType", "=", "product"), NOT_OUTBOX))
        docs = self._store.container(PRODUCTS, PRODUCTS_PK).query_all(query)
        return {d["id"]: self._item(d, categories, available) for d in docs}
