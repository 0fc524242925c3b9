"""The sales ledger port: what the pricing and inventory-analytics contexts may ask of sales.

Two kinds of entries per sku: one per (event, sku) from order events (confirmed +, refunded -),
written create-if-absent so a redelivered event is counted once even if the inbox marker was lost;
and one per imported (sku, day), replaced by a later import of the same day.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Protocol


@dataclass(frozen=True)
class SaleEntry:
    """A change to one sku's sales on one day."""

    sku: str
    day: date
    units: int  # negative for a full refund
    revenue: float  # in the shop currency; negative for a refund
    promo: float = 0.0  # share of the day's units sold on promotion (0..1), imports only
    price: float | None = None  # imported rows: the day's realized price (also on zero-unit days)


@dataclass(frozen=True)
class DailySales:
    sku: str
    day: date
    units: int
    price: float | None  # realized: revenue / units, else the imported price, else None
    promo: float


class SalesLedger(Protocol):
    def record_event(self, event_id: str, entries: Sequence[SaleEntry]) -> int:
        """Entries of one event; those already recorded are skipped. Returns how many were new."""
        ...

    def import_days(self, entries: Sequence[SaleEntry]) -> int:
        """Imported (sku, day) rows; an existing imported day is replaced. Returns the count."""
        ...

    def daily(self, sku: str) -> list[DailySales]:
        """The sku's days with any entry, oldest first (days without entries are absent)."""
        ...

    def skus(self) -> list[str]:
        """Every sku with at least one entry."""
        ...
