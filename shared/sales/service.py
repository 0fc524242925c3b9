"""Sales use cases: record order events, import history, read daily series for the models."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from shared.messaging.events import CloudEvent
from shared.messaging.inbox import processed_once
from shared.ports.documents import DocumentStore
from shared.sales.events import SALES_EVENTS, entries_of
from shared.sales.importer import parse_import
from shared.sales.ports import DailySales, SalesLedger
from shared.sales.repository import DocumentSalesLedger

HANDLER = "sales.orders"


def ledger(store: DocumentStore) -> SalesLedger:
    return DocumentSalesLedger(store)


def record_order_event(event: CloudEvent, *, store: DocumentStore) -> int:
    """Apply one order event once (inbox marker + create-if-absent entries). Returns new entries."""
    if event.type not in SALES_EVENTS:
        return 0
    with processed_once(event.id, HANDLER, store=store) as first:
        if not first:
            return 0
        return ledger(store).record_event(event.id, entries_of(event))


def import_sales(body: bytes, *, store: DocumentStore) -> dict[str, Any]:
    """Validate every row, then store them all (422 listing bad rows, nothing stored)."""
    from shared.inventory.service import find_stock

    entries = parse_import(body, lambda sku: find_stock(store=store, sku=sku) is not None)
    ledger(store).import_days(entries)
    days = [e.day for e in entries]
    return {
        "imported": len(entries),
        "skus": len({e.sku for e in entries}),
        "firstDate": min(days).isoformat(),
        "lastDate": max(days).isoformat(),
    }


def filled(days: list[DailySales], *, until: date | None = None) -> list[DailySales]:
    """A regular daily series from the first day with sales to `until` (default the last entry):
    missing days are 0 units at the last known price (the price a customer would have seen)."""
    if not days:
        return []
    by_day = {d.day: d for d in days}
    first = days[0].day
    last = max(until or days[-1].day, days[-1].day)
    price = next((d.price for d in days if d.price), None)
    out = []
    day = first
    while day <= last:
        d = by_day.get(day)
        if d is not None and d.price:
            price = d.price
        out.append(DailySales(days[0].sku, day, d.units if d else 0, price, d.promo if d else 0.0))
        day += timedelta(days=1)
    return out


def daily_series(sku: str, *, store: DocumentStore, until: date | None = None) -> list[DailySales]:
    return filled(ledger(store).daily(sku), until=until)


def all_skus(*, store: DocumentStore) -> list[str]:
    return ledger(store).skus()
