"""Events the inventory context publishes (CloudEvents `data` schemas)."""

from __future__ import annotations

from shared.kernel.schema import ApiModel
from shared.messaging.events import register_event


class ReservedLine(ApiModel):
    sku: str
    quantity: int


@register_event("InventoryReserved", producer="inventory", consumers=["orders"])
class InventoryReserved(ApiModel):
    """Every line of an order is held (all or nothing) until `expiresAt`."""

    order_id: str
    lines: list[ReservedLine]
    expires_at: str


@register_event("InventoryReleased", producer="inventory", consumers=["orders", "analytics"])
class InventoryReleased(ApiModel):
    """An order's holds were given back (failure, cancellation or expiry: see `reason`)."""

    order_id: str
    lines: list[ReservedLine]
    reason: str


@register_event("InventoryCommitted", producer="inventory", consumers=["orders", "analytics"])
class InventoryCommitted(ApiModel):
    """A confirmed order consumed its holds: on-hand and reserved both went down."""

    order_id: str
    lines: list[ReservedLine]


@register_event("InventoryAdjusted", producer="inventory", consumers=["analytics", "search"])
class InventoryAdjusted(ApiModel):
    """An admin changed the on-hand count of a sku (with a reason, kept as the audit trail)."""

    sku: str
    delta: int
    reason: str
    on_hand: int
    reserved: int
    available: int
    adjusted_by: str | None = None


@register_event("StockLow", producer="inventory", consumers=["notifications", "analytics"])
class StockLow(ApiModel):
    """A sku's available count fell to or below its threshold (sent when it crosses it)."""

    sku: str
    available: int
    threshold: int
