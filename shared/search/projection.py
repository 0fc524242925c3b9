"""What the index holds of a product, read from the catalog's and inventory's own stores.

Events only say *which* product changed; its current state is always read here. Replaying an old
event, or two events arriving out of order, therefore cannot put stale data in the index (the
read is the truth), and one code path serves the events, the catch-up and the full rebuild.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from shared.catalog import service as catalog
from shared.inventory import service as inventory
from shared.ports.documents import Document, DocumentStore
from shared.search.engine.types import SearchDocument


class CatalogReader:
    def __init__(self, store: DocumentStore) -> None:
        self.store = store
        # Category and brand names by id: taxa are never renamed through the API, so a worker
        # keeps them once read.
        self._names: dict[tuple[str, str], str] = {}

    def _name(self, kind: str, taxon_id: str) -> str:
        key = (kind, taxon_id)
        name = self._names.get(key)
        if name is None:
            found = catalog.taxon_name(store=self.store, kind=kind, taxon_id=taxon_id) if taxon_id else None
            name = found or ""
            if found is not None:
                self._names[key] = name
        return name

    def _available(self, skus: Sequence[str]) -> bool:
        for sku in skus:
            item = inventory.find_stock(store=self.store, sku=sku)
            if item is not None and item.available > 0:
                return True
        return False

    def document(self, product_id: str) -> SearchDocument | None:
        """The product as the index should see it now; None if it does not exist."""
        doc = catalog.product_document(store=self.store, product_id=product_id)
        if doc is None:
            return None
        return self._to_search(doc, self._available(doc.get("skus", [])))

    def product_of_sku(self, sku: str) -> str | None:
        item = inventory.find_stock(store=self.store, sku=sku)
        return item.product_id if item is not None else None

    def all_documents(self) -> Iterator[SearchDocument]:
        """Every active product (the full rebuild); stock read in one pass, not per product."""
        available = inventory.available_by_sku(store=self.store)
        for doc in catalog.all_active_products(store=self.store):
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
