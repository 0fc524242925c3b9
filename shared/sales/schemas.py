"""API models of the sales context."""

from __future__ import annotations

from datetime import date

from shared.kernel.schema import ApiModel
from shared.sales.ports import DailySales


class ImportResult(ApiModel):
    imported: int
    skus: int
    first_date: date
    last_date: date


class DayPublic(ApiModel):
    date: date
    units: int
    price: float | None
    promo: float


class DailySalesPublic(ApiModel):
    sku: str
    days: list[DayPublic]

    @classmethod
    def of(cls, sku: str, days: list[DailySales]) -> DailySalesPublic:
        return cls(
            sku=sku,
            days=[
                DayPublic(
                    date=d.day,
                    units=d.units,
                    price=None if d.price is None else round(d.price, 4),
                    promo=d.promo,
                )
                for d in days
            ],
        )
