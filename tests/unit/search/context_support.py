"""The search context over real parts: SQLite store, folder blob store, the real catalog and
inventory services, the outbox relay, and the int8 MiniLM encoder (session fixture)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from shared.catalog import service as catalog
from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductCreate
from shared.catalog.taxonomy import create_brand, create_category
from shared.inventory import service as inventory
from shared.kernel.money import Money
from shared.messaging.relay import OutboxRelay
from shared.ports.blobs import BlobStore
from shared.ports.documents import DocumentStore
from shared.ports.messaging import BusMessage, MessagePublisher
from shared.search import service
from shared.search.analytics import SearchLog
from shared.search.embedded import EmbeddedSearch
from shared.search.engine import TextEncoder
from shared.search.schemas import SearchQuery, SearchResponse


class Collect(MessagePublisher):
    def __init__(self) -> None:
        self.messages: list[BusMessage] = []

    def publish(self, messages: Sequence[BusMessage]) -> None:
        self.messages.extend(messages)

    def send(self, queue: str, messages: Sequence[BusMessage]) -> None:
        self.messages.extend(messages)


@dataclass
class Shop:
    store: DocumentStore
    blobs: BlobStore
    encoder: TextEncoder
    backend: EmbeddedSearch
    log: SearchLog
    taxa: dict[str, str] = field(default_factory=dict)
    _bus: Collect = field(default_factory=Collect)

    def taxon(self, kind: str, name: str) -> str:
        key = f"{kind}:{name}"
        if key not in self.taxa:
            if kind == "category":
                self.taxa[key] = create_category(store=self.store, data=CategoryCreate(name=name)).id
            else:
                self.taxa[key] = create_brand(store=self.store, data=BrandCreate(name=name)).id
        return self.taxa[key]

    def add(
        self,
        name: str,
        *,
        category: str = "Kitchen",
        brand: str = "Northwind",
        price: str = "20.00",
        sku: str | None = None,
        description: str = "",
    ) -> str:
        data = ProductCreate.model_validate(
            {
                "sku": sku or name.upper().replace(" ", "-")[:40],
                "name": name,
                "description": description,
                "categoryId": self.taxon("category", category),
                "brandId": self.taxon("brand", brand),
                "price": {"amount": price, "currency": "USD"},
            }
        )
        return catalog.create_product(store=self.store, data=data).value.id

    def archive(self, product_id: str) -> None:
        catalog.archive_product(store=self.store, product_id=product_id)

    def reprice(self, product_id: str, amount: str) -> None:
        etag = catalog.get_product(store=self.store, product_id=product_id).etag
        catalog.update_price(
            store=self.store, product_id=product_id, price=Money(amount=amount, currency="USD"), if_match=etag
        )

    def stock(self, sku: str, delta: int) -> None:
        inventory.adjust_stock(store=self.store, sku=sku, delta=delta, reason="count")

    def deliver(self) -> list[str]:
        """Relay committed events and hand each to the search consumer, as the bus would."""
        self._bus.messages.clear()
        OutboxRelay(self.store, self._bus).run_once()
        changed: list[str] = []
        for message in self._bus.messages:
            changed += service.handle_event(message.body)
        return changed

    def search(self, q: str, user_id: str | None = None, **params: Any) -> SearchResponse:
        return service.search(SearchQuery.model_validate({"q": q, **params}), user_id=user_id)

    def ids(self, q: str, **params: Any) -> list[str]:
        return [item.product_id for item in self.search(q, **params).items]


def make_shop(store: DocumentStore, blobs: BlobStore, encoder: TextEncoder, **kw: Any) -> Shop:
    search_log = SearchLog(store, flush_seconds=0.05)
    backend = EmbeddedSearch(
        store, blobs, encoder, popular_queries=search_log.popular, sync_seconds=kw.pop("sync", 0.0)
    )
    service.configure(store=store, backend=backend, search_log=search_log, **kw)
    return Shop(store, blobs, encoder, backend, search_log)
