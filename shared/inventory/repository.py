"""Inventory persistence: stock items (+ their audit trail) and reservations, with their events
committed through the outbox in the same transaction as the state they describe.

Containers:
- `inventory`, partition `/sku`: the stock item (id = sku) and its adjustment records
  (`docType: "adjustment"`), so an adjustment, the new levels and the event are one batch.
- `reservations`, partition `/orderId`: one document per order (id = order id).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from shared.inventory.model import Reservation, StockItem, iso
from shared.messaging.events import CloudEvent
from shared.messaging.outbox import NOT_OUTBOX, UnitOfWork, register_outbox
from shared.ports.documents import (
    Document,
    DocumentNotFound,
    DocumentStore,
    Filter,
    Page,
    Query,
)
from shared.storage.containers import open_container, query_page

STOCK_CONTAINER = "inventory"
STOCK_PK = "/sku"
RESERVATIONS_CONTAINER = "reservations"
RESERVATIONS_PK = "/orderId"
register_outbox(STOCK_CONTAINER, STOCK_PK)
register_outbox(RESERVATIONS_CONTAINER, RESERVATIONS_PK)


class InventoryRepository:
    def __init__(self, store: DocumentStore) -> None:
        # productId: a listing page's availability in one query (service.available_by_product).
        self.stock = open_container(store, STOCK_CONTAINER, STOCK_PK, ("docType", "createdAt", "productId"))
        self.reservations = open_container(
            store, RESERVATIONS_CONTAINER, RESERVATIONS_PK, ("status", "expiresAt")
        )

    # --- stock ----------------------------------------------------------------------------------
    def get_stock(self, sku: str) -> StockItem | None:
        try:
            doc = self.stock.read(sku, sku)
        except DocumentNotFound:
            return None
        return StockItem.from_document(doc) if doc.get("docType") == "stock" else None

    def create_stock(self, item: StockItem) -> StockItem:
        """`DocumentExists` if the sku already has a record."""
        return StockItem.from_document(self.stock.create(item.to_document()))

    def delete_stock(self, item: StockItem) -> None:
        """Conditional on the item's ETag (`ETagMismatch` if it changed since read)."""
        self.stock.delete(item.sku, item.sku, if_match=item.etag)

    def save_stock(
        self, item: StockItem, *, events: Sequence[CloudEvent] = (), records: Sequence[Document] = ()
    ) -> StockItem:
        """Conditional on the item's ETag; the audit records and events go in the same batch."""
        if not records and not events:  # one write needs no batch (and costs Cosmos less)
            return StockItem.from_document(self.stock.replace(item.to_document(), if_match=item.etag))
        uow = UnitOfWork(self.stock, item.sku).replace(item.to_document(), if_match=item.etag)
        for record in records:
            uow.create(record)
        uow.emit(*events)
        saved = uow.commit()[0]
        assert saved is not None
        return StockItem.from_document(saved)

    def adjustments(self, sku: str, *, limit: int, continuation_token: str | None) -> Page:
        query = Query(
            where=(Filter("docType", "=", "adjustment"), NOT_OUTBOX), order_by=(("createdAt", "desc"),)
        )
        return query_page(
            self.stock, query, partition_key=sku, max_items=limit, continuation_token=continuation_token
        )

    @staticmethod
    def adjustment_record(
        sku: str, delta: int, reason: str, actor: str | None, at: datetime, after: StockItem
    ) -> Document:
        return {
            "id": f"adj-{uuid.uuid4().hex}",
            "sku": sku,
            "docType": "adjustment",
            "delta": delta,
            "reason": reason,
            "adjustedBy": actor,
            "createdAt": iso(at),
            "onHandAfter": after.on_hand,
            "reservedAfter": after.reserved,
        }

    # --- reservations ---------------------------------------------------------------------------
    def get_reservation(self, order_id: str) -> Reservation | None:
        try:
            return Reservation.from_document(self.reservations.read(order_id, order_id))
        except DocumentNotFound:
            return None

    def create_reservation(
        self, reservation: Reservation, *, events: Sequence[CloudEvent] = ()
    ) -> Reservation:
        uow = UnitOfWork(self.reservations, reservation.order_id).create(reservation.to_document())
        saved = uow.emit(*events).commit()[0]
        assert saved is not None
        return Reservation.from_document(saved)

    def save_reservation(self, reservation: Reservation, *, events: Sequence[CloudEvent] = ()) -> Reservation:
        uow = UnitOfWork(self.reservations, reservation.order_id)
        uow.replace(reservation.to_document(), if_match=reservation.etag)
        saved = uow.emit(*events).commit()[0]
        assert saved is not None
        return Reservation.from_document(saved)

    def expired_reservations(self, now: datetime, limit: int) -> list[Reservation]:
        query = Query(
            where=(
                Filter("status", "in", ["pending", "reserved", "releasing"]),
                Filter("expiresAt", "<", iso(now)),
                NOT_OUTBOX,
            ),
            order_by=(("expiresAt", "asc"),),
        )
        page = self.reservations.query(query, max_items=limit)
        return [Reservation.from_document(doc) for doc in page.items]


def raw(doc: Document) -> dict[str, Any]:
    """Without the store's system fields (for logs and tests)."""
    return {k: v for k, v in doc.items() if not k.startswith("_")}
