"""`SalesLedger` on the document store: container `sales`, partition `/sku`.

Documents of a sku's partition:
- `e:<eventId>` (`docType: "event"`): one per order event and sku, created once (a redelivery
  finds it and counts nothing);
- `d:<yyyy-mm-dd>` (`docType: "import"`): an imported day, upserted (re-importing replaces it);
- `sku` (`docType: "sku"`): a marker so `skus()` lists partitions without scanning every entry.
"""

from __future__ import annotations

import contextlib
from collections import defaultdict
from collections.abc import Sequence
from datetime import date
from typing import Any

from shared.ports.documents import Container, DocumentExists, DocumentStore, Filter, Query
from shared.sales.ports import DailySales, SaleEntry

CONTAINER = "sales"
PARTITION_KEY = "/sku"


def _safe(value: str) -> str:
    return "".join("_" if c in "/\\?#" else c for c in value)


class DocumentSalesLedger:
    def __init__(self, store: DocumentStore) -> None:
        self._c: Container = store.container(CONTAINER, PARTITION_KEY)

    def _mark(self, sku: str) -> None:
        with contextlib.suppress(DocumentExists):
            self._c.create({"id": "sku", "sku": sku, "docType": "sku"})

    def record_event(self, event_id: str, entries: Sequence[SaleEntry]) -> int:
        by_sku: dict[str, list[SaleEntry]] = defaultdict(list)
        for entry in entries:
            by_sku[entry.sku].append(entry)
        new = 0
        for sku, lines in by_sku.items():
            doc: dict[str, Any] = {
                "id": f"e:{_safe(event_id)}",
                "sku": sku,
                "docType": "event",
                "eventId": event_id,
                # One event may carry several lines of a sku (and days): kept as a list.
                "lines": [{"day": e.day.isoformat(), "units": e.units, "revenue": e.revenue} for e in lines],
            }
            self._mark(sku)
            new += self._create_once(doc)
        return new

    def _create_once(self, doc: dict[str, Any]) -> int:
        """1 if written now, 0 if an earlier delivery of the event wrote it."""
        try:
            self._c.create(doc)
        except DocumentExists:
            return 0
        return 1

    def import_days(self, entries: Sequence[SaleEntry]) -> int:
        for sku in {e.sku for e in entries}:
            self._mark(sku)
        for e in entries:
            self._c.upsert(
                {
                    "id": f"d:{e.day.isoformat()}",
                    "sku": e.sku,
                    "docType": "import",
                    "day": e.day.isoformat(),
                    "units": e.units,
                    "revenue": e.revenue,
                    "price": e.price,
                    "promo": e.promo,
                }
            )
        return len(entries)

    def daily(self, sku: str) -> list[DailySales]:
        units: dict[str, int] = defaultdict(int)
        revenue: dict[str, float] = defaultdict(float)
        imported_price: dict[str, float] = {}
        promo: dict[str, float] = defaultdict(float)
        docs = self._c.query_all(
            Query(where=(Filter("docType", "in", ["event", "import"]),)), partition_key=sku
        )
        for doc in docs:
            if doc["docType"] == "import":
                day = doc["day"]
                units[day] += int(doc["units"])
                revenue[day] += float(doc["revenue"])
                promo[day] = max(promo[day], float(doc.get("promo") or 0.0))
                if doc.get("price"):
                    imported_price[day] = float(doc["price"])
            else:
                for line in doc.get("lines", []):
                    units[line["day"]] += int(line["units"])
                    revenue[line["day"]] += float(line["revenue"])
        out: list[DailySales] = []
        for day in sorted(set(units) | set(imported_price)):
            n = max(units[day], 0)
            price = revenue[day] / n if n > 0 and revenue[day] > 0 else imported_price.get(day)
            out.append(DailySales(sku, date.fromisoformat(day), n, price, promo[day]))
        return out

    def skus(self) -> list[str]:
        docs = self._c.query_all(Query(where=(Filter("docType", "=", "sku"),)))
        return sorted(str(d["sku"]) for d in docs)
