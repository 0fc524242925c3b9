"""What the index holds of a product, read from the catalog's and inventory's own stores.

Events only say *which* product changed; its current state is always read here. Replaying an old
event, or two events arriving out of order, therefore cannot put stale data in the index (the
read is the truth), and one code path serves the events, the catch-up and the full rebuild.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from shared.catalog.repository import CatalogRepository
from shared.inventory.repository import InventoryRepository
from shared.outbox import NOT_OUTBOX
from shared.ports.documents import Document, DocumentStore, Filter, Query
from shared.search.engine.types import SearchDocument


class CatalogReader:
    def __init__(self, store: DocumentStore) -> None:
        self.catalog = CatalogRepository(store)
        self.inventory = InventoryRepository(store)
        # Category and brand names by id: taxa are never renamed through the API, so a worker
        # keeps them once read.
        self._names: dict[tuple[str, str], str] = {}

    def _name(self, kind: str, taxon_id: str) -> str:
        key = (kind, taxon_id)
        name = self._names.get(key)
        if name is None:
            doc = self.catalog.get_taxon(kind, taxon_id) if taxon_id else None
            name = str(doc.get("name", "")) if doc else ""
            if doc:
                self._names[key] = name
        return name

    def _available(self, skus: Sequence[str]) -> bool:
        for sku in skus:
            item = self.inventory.get_stock(sku)
            if item is not None and item.available > 0:
                return True
        return False

    def document(self, product_id: str) -> SearchDocument | None:
        """The product as the index should see it now; None if it does not exist."""
        doc = self.catalog.get_product(product_id)
        if doc is None:
            return None
        return self._to_search(doc, self._available(doc.get("skus", [])))

    def product_of_sku(self, sku: str) -> str | None:
        item = self.inventory.get_stock(sku)
        return item.product_id if item is not None else None

    def all_documents(self) -> Iterator[SearchDocument]:
        """Every active product (the full rebuild); stock read in one pass, not per product."""
        stock = self.inventory.stock.query_all(Query(where=(Filter("docType", "=", "stock"), NOT_OUTBOX)))
        available = {str(s["id"]): int(s.get("onHand", 0)) - int(s.get("reserved", 0)) for s in stock}
        products = self.catalog.products.query_all(
            Query(where=(Filter("docType", "=", "product"), Filter("status", "=", "active"), NOT_OUTBOX))
        )
        for doc in products:
            in_stock = any(available.get(sku, 0) > 0 for sku in doc.get("skus", []))
            yield self._to_search(doc, in_stock)

    def _to_search(self, doc: Document, in_stock: bool) -> SearchDocument:
        price: dict[str, Any] = doc.get("price") or {}
        return SearchDocument(
            product_id=str(doc["id"]),
            name=str(doc.get("name", "")),
            price=Decimal(str(price.get("amount", "0"))),
            brand_id=str(doc.get("brandId", "")),
            brand=self._name("brand", str(doc.get("brandId", ""))),
            category_id=str(doc.get("categoryId", "")),
            category=self._name("category", str(doc.get("categoryId", ""))),
            description=str(doc.get("description", "")),
            attributes={
                k: v for k, v in (doc.get("attributes") or {}).items() if isinstance(v, str | int | float)
            },
            status=str(doc.get("status", "active")),
            in_stock=in_stock,
        )
