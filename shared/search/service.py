"""Search use cases: what the triggers in functions/search.py call.

The context's parts are built once per worker process, lazily (the first search, not
`import function_app`, pays for tantivy, onnxruntime and the index): `get_backend()` is the
embedded engine behind the SearchBackend port, `get_log()` the analytics log.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from shared.kernel.errors import NotFound, ValidationFailed
from shared.messaging.events import CloudEvent
from shared.messaging.inbox import processed_once
from shared.ports.blobs import BlobStore
from shared.ports.documents import DocumentNotFound, DocumentStore
from shared.ports.messaging import MessagePublisher
from shared.search.analytics import SearchLog, new_query_id
from shared.search.changes import ChangeLog
from shared.search.personalize import preference_for
from shared.search.ports import NoTaste, SearchBackend, TasteSource
from shared.search.schemas import (
    ClickIn,
    FacetEntry,
    PriceBandEntry,
    ReindexJob,
    SearchAnalytics,
    SearchFacets,
    SearchItem,
    SearchQuery,
    SearchResponse,
    SuggestionItem,
    SuggestResponse,
)
from shared.storage.containers import open_container

if TYPE_CHECKING:  # the engine (tantivy, numpy) loads with the first search, not on import
    from shared.search.engine import SearchRequest
    from shared.search.projection import CatalogReader

log = logging.getLogger("smartcommerce.search")

HANDLER = "search.index"
COMMAND_QUEUE = "search-commands"
JOBS = "search_jobs"
JOBS_PK = "/id"
PRODUCT_EVENTS = ("ProductCreated", "ProductModified", "ProductArchived", "PriceUpdated")
STOCK_EVENTS = ("InventoryAdjusted", "InventoryReserved", "InventoryReleased", "InventoryCommitted")
PREFERENCE_TTL_SECONDS = 30.0
EARLIEST, LATEST = date(2000, 1, 1), date(2100, 12, 31)  # analytics ranges (date arithmetic stays safe)


class SearchContext:
    """The context's long-lived parts in this worker (tests build their own with `configure`)."""

    def __init__(
        self,
        store: DocumentStore,
        backend: SearchBackend,
        search_log: SearchLog,
        taste: TasteSource,
        publisher: MessagePublisher | None = None,
    ):
        from shared.search.projection import CatalogReader

        self.store = store
        self.publisher = publisher
        self.backend = backend
        self.log = search_log
        self.taste = taste
        self.changes = ChangeLog(store)
        self.reader = CatalogReader(store)
        self.jobs = open_container(store, JOBS, JOBS_PK)
        self._prefs: dict[str, tuple[float, Any]] = {}

    def preference(self, user_id: str) -> Any:
        now = time.monotonic()
        cached = self._prefs.get(user_id)
        if cached is not None and now - cached[0] < PREFERENCE_TTL_SECONDS:
            return cached[1]
        pref = preference_for(user_id, store=self.store, taste=self.taste)
        if len(self._prefs) > 10_000:
            self._prefs.clear()
        self._prefs[user_id] = (now, pref)
        return pref


_lock = threading.Lock()
_ctx: SearchContext | None = None
_taste: TasteSource = NoTaste()


def default_context(
    store: DocumentStore, blobs: BlobStore, publisher: MessagePublisher, sync_seconds: float
) -> SearchContext:
    """The embedded backend over the given ports (the composition root passes them in)."""
    from models.embeddings import MiniLMEncoder
    from shared.search.embedded import EmbeddedSearch

    search_log = SearchLog(store)
    backend = EmbeddedSearch(
        store,
        blobs,
        MiniLMEncoder(intra_op_threads=1),
        # A rebuild embeds the whole catalog: all cores for that session, dropped afterwards.
        bulk_encoder=lambda: MiniLMEncoder(intra_op_threads=0),
        popular_queries=search_log.popular,
        sync_seconds=sync_seconds,
    )
    return SearchContext(store, backend, search_log, _taste, publisher)


_factory: Callable[[], SearchContext] | None = None


def install(factory: Callable[[], SearchContext]) -> None:
    """The triggers name how to build the context on first use (the composition root's ports)."""
    global _factory
    _factory = factory


def context() -> SearchContext:
    global _ctx
    if _ctx is None:
        with _lock:
            if _ctx is None:
                if _factory is None:
                    raise RuntimeError("search context not installed (functions/search.py installs it)")
                _ctx = _factory()
    return _ctx


def configure(
    *,
    store: DocumentStore,
    backend: SearchBackend,
    search_log: SearchLog,
    taste: TasteSource | None = None,
    publisher: MessagePublisher | None = None,
) -> None:
    """Tests and tools: run the context over given parts."""
    global _ctx
    _ctx = SearchContext(store, backend, search_log, taste or _taste, publisher)


def set_taste_source(taste: TasteSource) -> None:
    """The recommendations context binds its user factors here (the TasteSource port)."""
    global _taste
    _taste = taste
    if _ctx is not None:
        _ctx.taste = taste
        _ctx._prefs.clear()


def reset() -> None:
    global _ctx
    _ctx = None


# --- search ----------------------------------------------------------------------------------


def _request(q: SearchQuery, preference: Any) -> SearchRequest:
    from shared.search.engine import SearchRequest

    return SearchRequest(
        query=q.q,
        mode=q.mode,
        category_ids=(q.category,) if q.category else (),
        brand_ids=(q.brand,) if q.brand else (),
        min_price=q.min_price,
        max_price=q.max_price,
        in_stock_only=q.in_stock,
        sort=q.sort,
        limit=q.limit,
        preference=preference,
    )


def search(q: SearchQuery, *, user_id: str | None) -> SearchResponse:
    from shared.search.engine import InvalidPageToken, decode_token, encode_token

    if q.min_price is not None and q.max_price is not None and q.min_price > q.max_price:
        raise ValidationFailed.field("minPrice", "must not be above maxPrice")
    ctx = context()
    personalize = q.personalize if q.personalize is not None else user_id is not None
    preference = ctx.preference(user_id) if personalize and user_id else None
    request = _request(q, preference)
    if q.continuation_token:
        try:
            request = replace(request, offset=decode_token(q.continuation_token, request))
        except InvalidPageToken as exc:
            raise ValidationFailed.field("continuationToken", str(exc)) from None
    try:
        result = ctx.backend.search(request)
    except ValueError as exc:
        raise ValidationFailed(str(exc)) from None
    did_you_mean = result.did_you_mean
    if result.total == 0 and did_you_mean is None:
        did_you_mean = ctx.backend.did_you_mean(q.q)
    query_id = new_query_id()
    ctx.log.record_search(
        query_id=query_id,
        query=q.q,
        mode=q.mode,
        total=result.total,
        product_ids=[hit.product_id for hit in result.items],
        user_id=user_id,
        personalized=preference is not None,
        filters={
            "category": q.category,
            "brand": q.brand,
            "minPrice": str(q.min_price) if q.min_price is not None else None,
            "maxPrice": str(q.max_price) if q.max_price is not None else None,
            "offset": request.offset or None,
        },
    )
    return SearchResponse(
        items=[
            SearchItem(
                product_id=h.product_id,
                name=h.name,
                score=round(float(h.score), 6),
                category_id=h.category_id,
                brand_id=h.brand_id,
                price=h.price,
                in_stock=h.in_stock,
            )
            for h in result.items
        ],
        total=result.total,
        total_exact=result.total_exact,
        query_id=query_id,
        mode=result.mode,
        personalized=preference is not None,
        facets=SearchFacets(
            category=[FacetEntry(id=f.id, name=f.name, count=f.count) for f in result.facets.category],
            brand=[FacetEntry(id=f.id, name=f.name, count=f.count) for f in result.facets.brand],
            price=[PriceBandEntry(min=b.min, max=b.max, count=b.count) for b in result.facets.price],
        ),
        did_you_mean=did_you_mean,
        continuation_token=encode_token(request, result.next_offset)
        if result.next_offset is not None
        else None,
    )


def suggest(prefix: str, limit: int) -> SuggestResponse:
    found = context().backend.suggest(prefix, limit)
    return SuggestResponse(
        suggestions=[SuggestionItem(text=s.text, kind=s.kind, score=s.score) for s in found]
    )


def record_click(body: ClickIn, *, user_id: str | None) -> None:
    context().log.record_click(
        query_id=body.query_id, product_id=body.product_id, position=body.position, user_id=user_id
    )


def analytics(start: date | None, end: date | None, limit: int) -> SearchAnalytics:
    for name, day in (("from", start), ("to", end)):
        if day is not None and not EARLIEST <= day <= LATEST:
            raise ValidationFailed.field(name, f"must be between {EARLIEST} and {LATEST}")
    today = datetime.now(UTC).date()
    end = end or today
    start = start or end - timedelta(days=6)
    return context().log.report(start, end, limit)


# --- catalog and inventory events ------------------------------------------------------------


def products_of(event: CloudEvent, reader: CatalogReader) -> list[str]:
    """The products an event changes (stock events name skus: each sku's product)."""
    data = event.data
    if event.type in PRODUCT_EVENTS:
        product_id = data.get("productId")
        return [str(product_id)] if product_id else []
    if event.type in STOCK_EVENTS:
        skus = [data["sku"]] if "sku" in data else [line.get("sku") for line in data.get("lines", [])]
        found = (reader.product_of_sku(str(sku)) for sku in skus if sku)
        return list(dict.fromkeys(p for p in found if p))
    return []


def handle_event(body: bytes | str) -> list[str]:
    """One catalog or inventory event: mark the products changed (every worker catches up) and
    re-index them in this worker now. Returns the product ids (for tests and logs)."""
    try:
        event = CloudEvent.from_json(body)
    except ValidationError:
        log.error("search: dropping a message that is not a CloudEvent")
        return []
    ctx = context()
    # A worker's first event starts its index in the background: its shoppers' first searches
    # then find it loaded instead of each waiting for the start (docs/search.md, under load).
    ctx.backend.warm()
    with processed_once(event.id, HANDLER, store=ctx.store) as first:
        if not first:
            return []
        product_ids = products_of(event, ctx.reader)
        if product_ids:
            at = ctx.changes.mark(product_ids)
            ctx.backend.refresh(product_ids, at)
        return product_ids


# --- full rebuild ----------------------------------------------------------------------------


def _job_public(doc: dict[str, Any]) -> ReindexJob:
    return ReindexJob.model_validate({**doc, "statusUri": f"/api/search/reindex/{doc['id']}"})


def start_reindex(*, requested_by: str) -> ReindexJob:
    """Record a queued job and put its command on the queue (the rebuild runs in the consumer)."""
    from shared.ports.messaging import BusMessage

    ctx = context()
    job_id = uuid.uuid4().hex
    doc = {
        "id": job_id,
        "status": "queued",
        "requestedBy": requested_by,
        "requestedAt": datetime.now(UTC).isoformat(),
    }
    ctx.jobs.create(doc)
    message = BusMessage(
        message_id=f"search-reindex-{job_id}",
        body=f'{{"jobId": "{job_id}"}}'.encode(),
        subject="SearchReindexRequested",
        content_type="application/json",
        application_properties={"type": "SearchReindexRequested"},
    )
    if ctx.publisher is None:
        raise RuntimeError("search context has no publisher for reindex commands")
    ctx.publisher.send(COMMAND_QUEUE, [message])
    return _job_public(doc)


def reindex_status(job_id: str) -> ReindexJob:
    if not re.fullmatch(r"[0-9a-f]{32}", job_id):
        raise NotFound(f"no reindex job {job_id}")
    try:
        return _job_public(dict(context().jobs.read(job_id, job_id)))
    except DocumentNotFound:
        raise NotFound(f"no reindex job {job_id}") from None


def run_reindex(job_id: str) -> None:
    """The queue consumer: rebuild and record the outcome. A redelivered command of a finished
    job does nothing; one of a job that crashed half way runs it again (a rebuild is idempotent)."""
    ctx = context()
    try:
        doc = dict(ctx.jobs.read(job_id, job_id))
    except DocumentNotFound:
        log.error("search: reindex command for unknown job %s dropped", job_id)
        return
    if doc.get("status") == "succeeded":
        return
    doc.update(status="running", startedAt=datetime.now(UTC).isoformat(), error=None)
    doc = dict(ctx.jobs.replace(_plain(doc)))
    try:
        report = ctx.backend.rebuild()
    except Exception as exc:
        doc.update(status="failed", finishedAt=datetime.now(UTC).isoformat(), error=type(exc).__name__)
        ctx.jobs.replace(_plain(doc))
        raise
    doc.update(
        status="succeeded",
        finishedAt=datetime.now(UTC).isoformat(),
        products=report.products,
        seconds=round(report.seconds, 3),
        snapshotId=report.snapshot_id,
    )
    ctx.jobs.replace(_plain(doc))


def _plain(doc: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in doc.items() if not k.startswith("_")}


def refresh_popular_queries() -> None:
    ctx = context()
    ctx.backend.set_popular_queries(ctx.log.popular())


def warm() -> None:
    """Load the complete index now (a test, a tool); otherwise the first event or search does."""
    context().backend.warm(wait=True)
