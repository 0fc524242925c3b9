"""Search analytics: every search logged under its `queryId`, clicks against it, and the report.

What a log entry holds: the normalized query text, mode, filters used, total, the product ids of
the page shown, whether it was personalized, and the user id (the only personal data; none for
anonymous searches). No IP address, user agent, email or token.

Containers:
- `search_queries` (partition `/day`): one document per search (id = queryId) and one per click
  (id = `<queryId>:click:<productId>`, so repeating a click is counted once). The queryId starts
  with its UTC day, so a click finds its search's partition without a cross-partition query.
- `search_query_stats` (partition `/id`): a running count per normalized query (popular past
  queries for autocomplete) updated with `incr` patches, so suggest never scans the log.

Writes leave the request path: a search appends to an in-process buffer that a background thread
writes every FLUSH_SECONDS (and at once when a click or the report needs it). A crash can lose
the last half second of log entries; analytics tolerate that, searches never wait on it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import uuid
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.kernel.errors import NotFound, ValidationFailed
from shared.ports.documents import DocumentNotFound, DocumentStore, Filter, PatchOp, Query
from shared.search.schemas import QueryCount, SearchAnalytics
from shared.storage.containers import open_container
from shared.storage.retry import retry_on_conflict

log = logging.getLogger("smartcommerce.search")

QUERIES = "search_queries"
QUERIES_PK = "/day"
STATS = "search_query_stats"
STATS_PK = "/id"
FLUSH_SECONDS = 0.5
MAX_RANGE_DAYS = 92
# A past query is offered to other shoppers only once several searches used it and found
# something: one person's odd query (a name, an order number) never shows up as a completion.
POPULAR_MIN_COUNT = 3
POPULAR_LIMIT = 5000
_QUERY_ID = re.compile(r"^(\d{4})(\d{2})(\d{2})-[0-9a-f]{32}$")


def new_query_id(now: datetime | None = None) -> str:
    return f"{(now or datetime.now(UTC)):%Y%m%d}-{uuid.uuid4().hex}"


def day_of(query_id: str) -> str | None:
    m = _QUERY_ID.match(query_id)
    return f"{m[1]}-{m[2]}-{m[3]}" if m else None


def normalize(query: str) -> str:
    """The form queries are counted in: lowercase, accents folded, single spaces (as suggest keys)."""
    from shared.search.engine.suggest import fold

    return fold(query)[:200]


def _stats_id(query: str) -> str:
    return hashlib.sha256(query.encode()).hexdigest()[:32]


class SearchLog:
    def __init__(self, store: DocumentStore, *, flush_seconds: float = FLUSH_SECONDS) -> None:
        self.queries = open_container(store, QUERIES, QUERIES_PK, ("docType", "at"))
        self.stats = open_container(store, STATS, STATS_PK, ("count",))
        self.flush_seconds = flush_seconds
        self._pending: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None

    # -- writing ----------------------------------------------------------------------------

    def record_search(
        self,
        *,
        query_id: str,
        query: str,
        mode: str,
        total: int,
        product_ids: Sequence[str],
        user_id: str | None,
        personalized: bool,
        filters: dict[str, Any],
        at: datetime | None = None,
    ) -> None:
        when = at or datetime.now(UTC)
        entry = {
            "id": query_id,
            "day": when.date().isoformat(),
            "docType": "search",
            "at": when.isoformat(),
            "query": normalize(query),
            "mode": mode,
            "total": total,
            "productIds": list(product_ids),
            "userId": user_id,
            "personalized": personalized,
            "filters": {k: v for k, v in filters.items() if v is not None},
        }
        with self._lock:
            self._pending[query_id] = entry
        self._ensure_thread()

    def _ensure_thread(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._run, name="search-log", daemon=True)
                    self._thread.start()

    def _run(self) -> None:
        while True:
            self._wake.wait(self.flush_seconds)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the store is down: keep the entries, try again next round
                log.exception("search log flush failed")

    def flush(self) -> None:
        with self._flush_lock:
            with self._lock:
                batch, self._pending = self._pending, {}
            try:
                counts: Counter[str] = Counter()
                zero: Counter[str] = Counter()
                while batch:
                    query_id, entry = next(iter(batch.items()))
                    self.queries.upsert(entry)  # upsert: a retried flush writes the same document
                    counts[entry["query"]] += 1
                    if entry["total"] == 0:
                        zero[entry["query"]] += 1
                    del batch[query_id]
                for query, count in counts.items():
                    self._count(query, count, zero[query])
            except Exception:
                with self._lock:
                    self._pending = {**batch, **self._pending}
                raise

    def _count(self, query: str, count: int, zero: int) -> None:
        key = _stats_id(query)
        ops = [PatchOp("incr", "/count", count), PatchOp("incr", "/zeroResults", zero)]

        def attempt() -> None:
            try:
                self.stats.patch(key, key, ops)
            except DocumentNotFound:
                # DocumentExists (a concurrent first count) runs the patch again.
                self.stats.create({"id": key, "query": query, "count": count, "zeroResults": zero})

        retry_on_conflict(attempt, attempts=3, backoff=False)

    def record_click(self, *, query_id: str, product_id: str, position: int, user_id: str | None) -> None:
        day = day_of(query_id)
        if day is None:
            raise ValidationFailed.field("queryId", "not a queryId that GET /api/search returned")
        search = self._find(query_id, day)
        if search is None:
            raise NotFound(f"no search {query_id}")
        self.queries.upsert(
            {
                "id": f"{query_id}:click:{product_id}",
                "day": day,
                "docType": "click",
                "queryId": query_id,
                "productId": product_id,
                "position": position,
                "at": datetime.now(UTC).isoformat(),
                "userId": user_id,
            }
        )

    def _find(self, query_id: str, day: str) -> dict[str, Any] | None:
        with self._lock:
            if query_id in self._pending:
                return self._pending[query_id]
        try:
            return dict(self.queries.read(query_id, day))
        except DocumentNotFound:
            pass
        self.flush()  # it may be in a batch another thread is writing right now
        try:
            return dict(self.queries.read(query_id, day))
        except DocumentNotFound:
            return None

    # -- reading ----------------------------------------------------------------------------

    def popular(self, *, min_count: int = POPULAR_MIN_COUNT, limit: int = POPULAR_LIMIT) -> dict[str, int]:
        """Past queries that found products, most used first (for autocomplete)."""
        page = self.stats.query(
            Query(where=(Filter("count", ">=", min_count),), order_by=(("count", "desc"),)), max_items=limit
        )
        return {
            str(d["query"]): int(d["count"]) - int(d.get("zeroResults", 0))
            for d in page.items
            if int(d["count"]) - int(d.get("zeroResults", 0)) >= min_count
        }

    def report(self, start: date, end: date, limit: int) -> SearchAnalytics:
        if end < start:
            raise ValidationFailed.field("to", "must not be before from")
        if (end - start).days >= MAX_RANGE_DAYS:
            raise ValidationFailed.field("from", f"a range spans at most {MAX_RANGE_DAYS} days")
        self.flush()
        searches: dict[str, dict[str, Any]] = {}
        best_click: dict[str, int] = {}
        clicks = 0
        day = start
        while day <= end:
            for doc in self.queries.query_all(Query(), partition_key=day.isoformat()):
                if doc.get("docType") == "search":
                    searches[str(doc["id"])] = doc
                elif doc.get("docType") == "click":
                    clicks += 1
                    qid = str(doc["queryId"])
                    best_click[qid] = min(int(doc["position"]), best_click.get(qid, 1_000_000))
            day += timedelta(days=1)
        # A click may fall on the day after its search (the search's day is its partition, so
        # clicks are stored there: they are always found with their search).
        clicked = {q: p for q, p in best_click.items() if q in searches}
        top: Counter[str] = Counter(s["query"] for s in searches.values())
        zero: Counter[str] = Counter(s["query"] for s in searches.values() if s["total"] == 0)
        n = len(searches)
        return SearchAnalytics(
            from_=start,
            to=end,
            searches=n,
            clicks=clicks,
            searches_with_click=len(clicked),
            click_through_rate=round(len(clicked) / n, 6) if n else 0.0,
            mean_reciprocal_rank=round(sum(1 / p for p in clicked.values()) / len(clicked), 6)
            if clicked
            else 0.0,
            top_queries=[QueryCount(query=q, count=c) for q, c in _ranked(top, limit)],
            zero_result_queries=[QueryCount(query=q, count=c) for q, c in _ranked(zero, limit)],
        )


def _ranked(counts: Counter[str], limit: int) -> list[tuple[str, int]]:
    return sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]
