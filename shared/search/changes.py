"""The change log every worker's index catches up from: one marker per product, `search_changes`.

A catalog or inventory event's handler runs in *one* worker (a Service Bus subscription delivers
each message once), but every scaled-out worker holds its own index. So the handler upserts the
product's marker `{id: productId, at}` and each worker, before answering a search (at most every
`SEARCH_SYNC_SECONDS`), re-reads the products whose marker moved past its watermark. A new worker
does the same from its snapshot's watermark: "latest snapshot plus the events since".

One document per product (not per event) keeps the log as small as the catalog, needs no TTL, and
makes replays harmless. Markers are compared by their writer's clock; reading from
`watermark - SKEW` covers clocks a few seconds apart (re-applying a product is idempotent).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from shared.ports.documents import DocumentStore, Filter, Query
from shared.storage.containers import open_container

CONTAINER = "search_changes"
PARTITION_KEY = "/productId"
SKEW = timedelta(seconds=5)
EPOCH = "1970-01-01T00:00:00.000000+00:00"


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


@dataclass(frozen=True)
class Change:
    product_id: str
    at: str


class ChangeLog:
    def __init__(self, store: DocumentStore) -> None:
        self.container = open_container(store, CONTAINER, PARTITION_KEY, ("at",))

    def mark(self, product_ids: Iterable[str]) -> str:
        at = now_iso()
        for product_id in dict.fromkeys(product_ids):
            self.container.upsert({"id": product_id, "productId": product_id, "at": at})
        return at

    def since(self, watermark: str) -> list[Change]:
        """Markers at or after `watermark - SKEW`, oldest first."""
        start = (datetime.fromisoformat(watermark) - SKEW).isoformat(timespec="microseconds")
        docs = self.container.query_all(Query(where=(Filter("at", ">=", start),), order_by=(("at", "asc"),)))
        return [Change(str(d["productId"]), str(d["at"])) for d in docs]

    def latest(self) -> str:
        """The newest marker's time (a rebuild's watermark: what it read is at least this new)."""
        page = self.container.query(Query(order_by=(("at", "desc"),)), max_items=1)
        return str(page.items[0]["at"]) if page.items else EPOCH
