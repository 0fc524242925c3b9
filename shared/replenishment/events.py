"""Events of inventory analytics (CloudEvents `data` schemas). `StockLow` is the inventory
context's event (shared.inventory.events), raised here too when a refresh finds a sku's
available stock at or below its safety stock."""

from __future__ import annotations

from shared.kernel.schema import ApiModel
from shared.messaging.events import register_event


@register_event("ReorderRecommended", producer="inventory", consumers=["notifications"])
class ReorderRecommended(ApiModel):
    """A sku's available stock is at or below its reorder point: order `orderQuantity` now
    (sent at most once a day per sku, by the daily forecast refresh)."""

    sku: str
    available: int
    reorder_point: float
    safety_stock: float
    order_quantity: int
    lead_time_days: float
    service_level: float
    days_of_cover: float | None = None
