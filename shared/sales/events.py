"""Order events -> sales entries. Which events count and how:

- `OrderConfirmed`: + quantity and + line total per line (a confirmed order consumed its stock);
- `OrderRefunded`: the refunded money comes off each line's revenue pro rata to its line total;
  when the order is fully refunded (status `refunded`), its units come off too (the goods are
  back or never sold), so the day's units and realized price net out to what stayed sold.

Both land on the day the order was placed (`order.createdAt`, UTC), so a refund weeks later
corrects the day of the sale instead of showing a negative day. Amounts are read as numbers in
the order's currency (the shop has one).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from shared.messaging.events import CloudEvent
from shared.sales.ports import SaleEntry

SALES_EVENTS = ("OrderConfirmed", "OrderRefunded")


def _amount(value: Any) -> float:
    if isinstance(value, dict):
        value = value.get("amount")
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def _day(order: dict[str, Any], fallback: datetime) -> date:
    raw = order.get("createdAt")
    try:
        return datetime.fromisoformat(str(raw)).date() if raw else fallback.date()
    except ValueError:
        return fallback.date()


def entries_of(event: CloudEvent) -> list[SaleEntry]:
    """The sales entries of an event (empty for events that do not change sales)."""
    if event.type not in SALES_EVENTS:
        return []
    order = event.data.get("order") if isinstance(event.data.get("order"), dict) else {}
    assert isinstance(order, dict)
    day = _day(order, event.time)
    lines = [i for i in order.get("items") or [] if isinstance(i, dict) and i.get("sku")]
    if event.type == "OrderConfirmed":
        return [
            SaleEntry(str(i["sku"]), day, int(i.get("quantity", 0)), _amount(i.get("lineTotal")))
            for i in lines
        ]
    refunded = _amount(event.data.get("refund"))
    total = sum(_amount(i.get("lineTotal")) for i in lines)
    full = order.get("status") == "refunded"
    out = []
    for i in lines:
        share = _amount(i.get("lineTotal")) / total if total > 0 else 1.0 / len(lines)
        units = -int(i.get("quantity", 0)) if full else 0
        out.append(SaleEntry(str(i["sku"]), day, units, -refunded * share))
    return out
