"""Inventory domain: stock levels per sku and reservations per order. No I/O here.

A stock item's `reserved` is always the sum of its `holds` (order id -> quantity), so a hold can be
applied or removed idempotently: an order that already holds a sku is not counted twice, and an
order without a hold is not released twice. `available = on_hand - reserved` never goes below zero:
every change that would make it negative is refused here, and the repository writes the result
with a conditional (ETag) write, so a concurrent change forces a re-read and a fresh decision.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from shared.kernel.errors import Conflict

# `committing` / `releasing` are claims: the call that wrote one (with the document's ETag) owns the
# order's holds until it writes `committed` / `released`; a crashed claim is finished by the next call.
ReservationStatus = Literal[
    "pending", "reserved", "committing", "releasing", "failed", "released", "committed"
]


class InsufficientStock(Conflict):
    code = "insufficient_stock"
    title = "Not enough stock"


@dataclass
class StockItem:
    sku: str
    product_id: str | None = None
    on_hand: int = 0
    reserved: int = 0
    holds: dict[str, int] = field(default_factory=dict)
    low_stock_threshold: int = 5
    etag: str | None = None

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def is_low(self) -> bool:
        return self.available <= self.low_stock_threshold

    def hold(self, order_id: str, quantity: int) -> bool:
        """Reserve `quantity` for the order. False if the order already holds this sku (no change)."""
        if order_id in self.holds:
            return False
        if quantity < 1:
            raise ValueError("quantity must be positive")
        if quantity > self.available:
            raise InsufficientStock(f"sku {self.sku}: {self.available} available, {quantity} requested")
        self.holds[order_id] = quantity
        self.reserved += quantity
        return True

    def release(self, order_id: str) -> int:
        """Drop the order's hold; the quantity released (0 if it held nothing)."""
        quantity = self.holds.pop(order_id, 0)
        self.reserved -= quantity
        return quantity

    def consume(self, order_id: str) -> int:
        """The order shipped its hold: on-hand and reserved both go down."""
        quantity = self.release(order_id)
        self.on_hand -= quantity
        return quantity

    def adjust(self, delta: int) -> None:
        if self.available + delta < 0:
            raise InsufficientStock(
                f"sku {self.sku}: an adjustment of {delta} would leave {self.available + delta} available"
            )
        self.on_hand += delta

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.sku,
            "sku": self.sku,
            "docType": "stock",
            "productId": self.product_id,
            "onHand": self.on_hand,
            "reserved": self.reserved,
            "available": self.available,
            "holds": dict(self.holds),
            "lowStockThreshold": self.low_stock_threshold,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> StockItem:
        return cls(
            sku=doc["sku"],
            product_id=doc.get("productId"),
            on_hand=int(doc.get("onHand", 0)),
            reserved=int(doc.get("reserved", 0)),
            holds={k: int(v) for k, v in (doc.get("holds") or {}).items()},
            low_stock_threshold=int(doc.get("lowStockThreshold", 5)),
            etag=doc.get("_etag"),
        )


@dataclass(frozen=True)
class ReservationLine:
    sku: str
    quantity: int


@dataclass
class Reservation:
    order_id: str
    lines: list[ReservationLine]
    status: ReservationStatus
    expires_at: datetime
    created_at: datetime
    updated_at: datetime
    reason: str | None = None
    failed_skus: list[str] = field(default_factory=list)
    etag: str | None = None

    def to_document(self) -> dict[str, Any]:
        return {
            "id": self.order_id,
            "orderId": self.order_id,
            "docType": "reservation",
            "lines": [{"sku": line.sku, "quantity": line.quantity} for line in self.lines],
            "status": self.status,
            "expiresAt": iso(self.expires_at),
            "createdAt": iso(self.created_at),
            "updatedAt": iso(self.updated_at),
            "reason": self.reason,
            "failedSkus": list(self.failed_skus),
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Reservation:
        return cls(
            order_id=doc["orderId"],
            lines=[ReservationLine(sku=x["sku"], quantity=int(x["quantity"])) for x in doc["lines"]],
            status=doc["status"],
            expires_at=datetime.fromisoformat(doc["expiresAt"]),
            created_at=datetime.fromisoformat(doc["createdAt"]),
            updated_at=datetime.fromisoformat(doc["updatedAt"]),
            reason=doc.get("reason"),
            failed_skus=list(doc.get("failedSkus") or []),
            etag=doc.get("_etag"),
        )


def iso(moment: datetime) -> str:
    """Fixed-width UTC timestamps, so string order is time order in store queries."""
    return moment.astimezone(UTC).isoformat(timespec="microseconds")


def merge_lines(lines: list[ReservationLine]) -> list[ReservationLine]:
    """One line per sku (quantities summed), sorted by sku so every caller takes holds in one order."""
    totals: dict[str, int] = {}
    for line in lines:
        if line.quantity < 1:
            raise ValueError(f"quantity for {line.sku} must be at least 1")
        totals[line.sku] = totals.get(line.sku, 0) + line.quantity
    return [ReservationLine(sku=sku, quantity=qty) for sku, qty in sorted(totals.items())]
