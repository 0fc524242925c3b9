"""The inventory context's API models."""

from __future__ import annotations

from pydantic import Field

from shared.inventory.model import StockItem
from shared.kernel.schema import ApiModel, Page


class StockLevels(ApiModel):
    sku: str
    on_hand: int
    reserved: int
    available: int
    low_stock_threshold: int
    product_id: str | None = None

    @classmethod
    def of(cls, item: StockItem) -> StockLevels:
        return cls(
            sku=item.sku,
            on_hand=item.on_hand,
            reserved=item.reserved,
            available=item.available,
            low_stock_threshold=item.low_stock_threshold,
            product_id=item.product_id,
        )


class AdjustmentCreate(ApiModel):
    # Strict: JSON `true` or "3" is not a count of units (lax mode would read them as 1 and 3).
    delta: int = Field(
        ge=-1_000_000,
        le=1_000_000,
        strict=True,
        description="Change of on-hand units (not 0)",
        json_schema_extra={"not": {"const": 0}},  # the service refuses 0 (documented, not a surprise)
    )
    reason: str = Field(min_length=1, max_length=500)


class ThresholdUpdate(ApiModel):
    low_stock_threshold: int = Field(ge=0, le=1_000_000)


class Adjustment(ApiModel):
    id: str
    sku: str
    delta: int
    reason: str
    adjusted_by: str | None = None
    created_at: str
    on_hand_after: int
    reserved_after: int


Adjustments = Page[Adjustment]
