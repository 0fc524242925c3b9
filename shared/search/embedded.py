"""The embedded search backend: the engine's index in this worker, kept current and swapped whole.

Lifecycle of the live index (one per worker process):
- start: load the latest snapshot from the blob store and catch up on the change log since its
  watermark; a missing or corrupt snapshot (or a missing blob) rebuilds from the catalog instead.
  Without a usable snapshot it serves from a keyword-only index (no embeddings: built in well
  under a second at 300 products) and builds the complete one beside it, swapped in when done.
  The first catalog or inventory event in a worker starts this in a background thread (`warm`),
  so that shoppers' first searches find the index loaded instead of all waiting for the start;
- keep current: the event handler re-indexes changed products at once in the worker it runs in,
  and every worker catches up on the change log before a search, at most every `sync_seconds`;
- rebuild: read the whole catalog, build a complete second index, catch it up, then swap the
  reference in one assignment (searches in flight finish on the old one; none ever sees an empty
  or half-built index), and publish a snapshot that the other workers adopt when they see it.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.ports.blobs import BlobNotFound, BlobStore
from shared.ports.documents import DocumentStore
from shared.search.changes import EPOCH, SKEW, ChangeLog
from shared.search.engine import SearchIndex, SnapshotCorrupt, TextEncoder
from shared.search.engine.types import SearchRequest, SearchResult, Suggestion
from shared.search.ports import RebuildReport
from shared.search.projection import CatalogReader
from shared.search.snapshots import SnapshotInfo, SnapshotStore

log = logging.getLogger("smartcommerce.search")

POINTER_CHECK_SECONDS = 30.0  # how soon other workers adopt a rebuild done elsewhere
POPULAR_REFRESH_SECONDS = 300.0


@dataclass
class _Live:
    index: SearchIndex
    watermark: str
    snapshot_id: str | None
    built_at: str
    applied: dict[str, str] = field(default_factory=dict)  # product id -> marker time applied
    last_sync: float = 0.0
    sync_lock: threading.Lock = field(default_factory=threading.Lock)


def _snapshot_id() -> str:
    # Sorts by build time (pruning keeps the newest), unique across workers building at once.
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ") + "-" + uuid.uuid4().hex[:8]


class EmbeddedSearch:
    def __init__(
        self,
        store: DocumentStore,
        blobs: BlobStore,
        encoder: TextEncoder | None,
        *,
        bulk_encoder: Callable[[], TextEncoder | None] | None = None,
        popular_queries: Callable[[], dict[str, int]] | None = None,
        sync_seconds: float = 1.0,
    ) -> None:
        self.reader = CatalogReader(store)
        self.changes = ChangeLog(store)
        self.snapshots = SnapshotStore(blobs)
        self.encoder = encoder
        self._bulk_encoder = bulk_encoder or (lambda: encoder)
        self._popular = popular_queries or dict
        self.sync_seconds = sync_seconds
        self._live: _Live | None = None
        self._start_lock = threading.Lock()
        self._rebuild_lock = threading.Lock()
        self._adopting = threading.Lock()
        self._warming: threading.Thread | None = None
        self._completing: threading.Thread | None = None
        self._warm_lock = threading.Lock()
        self._last_pointer_check = time.monotonic()
        self._last_popular = time.monotonic()

    # -- the port ---------------------------------------------------------------------------

    def search(self, request: SearchRequest) -> SearchResult:
        return self._current().index.search(request)

    def suggest(self, prefix: str, limit: int) -> list[Suggestion]:
        return self._current().index.suggest(prefix, limit)

    def did_you_mean(self, query: str) -> str | None:
        return self._current().index.did_you_mean(query)

    def refresh(self, product_ids: Sequence[str], at: str | None = None) -> None:
        """Re-index these products now, in this worker (others catch up on the change log)."""
        live = self._live
        if live is None:
            return  # not loaded in this worker yet: the start catches up on the change log
        self._apply(live.index, product_ids)
        if at is not None:
            for product_id in product_ids:
                live.applied[product_id] = max(at, live.applied.get(product_id, EPOCH))

    def warm(self, *, wait: bool = False) -> None:
        """Start loading the index in a background thread if this worker has none yet; returns at
        once. Searches that come meanwhile wait for that start (one start, never two). `wait`:
        load it here and wait for the complete index (tests, tools)."""
        if wait:
            self._current()
            self.wait_complete()
            return
        if self._live is not None or self._warming is not None:
            return
        with self._warm_lock:
            if self._live is None and self._warming is None:
                self._warming = threading.Thread(target=self._warm, name="search-start", daemon=True)
                self._warming.start()

    def _warm(self) -> None:
        try:
            self._current()
        except Exception:  # the first search tries again (and answers the error)
            log.exception("search index could not be loaded in the background")
        finally:
            with self._warm_lock:
                self._warming = None

    def set_popular_queries(self, counts: dict[str, int]) -> None:
        live = self._live
        if live is not None:
            live.index.set_query_counts(counts)

    def rebuild(self) -> RebuildReport:
        started = time.monotonic()
        with self._rebuild_lock:
            live = self._build()
            self._swap(live)
        return RebuildReport(len(live.index), time.monotonic() - started, live.snapshot_id)

    # -- lifecycle --------------------------------------------------------------------------

    @property
    def loaded(self) -> bool:
        return self._live is not None

    def _current(self) -> _Live:
        live = self._live
        if live is None:
            with self._start_lock:
                if self._live is None:
                    self._live = self._start()
                live = self._live
        self._maybe_sync(live)
        return live

    def _start(self) -> _Live:
        info = self.snapshots.latest()
        if info is not None:
            live = self._from_snapshot(info)
            if live is not None:
                self._load_encoder()
                self._catch_up(live)
                return live
        if self.encoder is None:
            with self._rebuild_lock:
                return self._build()
        # No usable snapshot: the catalog has to be embedded (seconds at 300 products on a busy
        # machine, minutes at 100k), and every search meanwhile would wait. Serve from a keyword
        # index at once (no vectors: answers say mode "keyword"), build the complete one beside
        # it and swap it in when done, as a rebuild does.
        live = self._keyword_only()
        self._completing = threading.Thread(target=self._complete, name="search-complete", daemon=True)
        self._completing.start()
        return live

    def _load_encoder(self) -> None:
        # The serving session loads lazily on the first query embedding otherwise, and every
        # search would queue on its load lock.
        load = getattr(self.encoder, "load", None)
        if callable(load):
            load()

    def _keyword_only(self) -> _Live:
        started = time.monotonic()
        watermark = self.changes.latest()
        index = SearchIndex.build(self.reader.all_documents(), None)
        index.set_query_counts(self._popular())
        live = _Live(index, watermark, None, datetime.now(UTC).isoformat())
        self._catch_up(live)
        log.info("search keyword index: %d products in %.2f s", len(index), time.monotonic() - started)
        return live

    def _complete(self) -> None:
        try:
            with self._rebuild_lock:
                self._load_encoder()
                live = self._build()
                self._swap(live)
        except Exception:  # the keyword index keeps serving; the next rebuild completes it
            log.exception("search index could not be completed after a keyword-only start")

    def wait_complete(self, timeout: float = 600.0) -> bool:
        """Block until a keyword-only start has been completed (tests and tools)."""
        thread = self._completing
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _from_snapshot(self, info: SnapshotInfo) -> _Live | None:
        try:
            started = time.monotonic()
            index = SearchIndex.from_bytes(self.snapshots.read(info), self.encoder)
        except (SnapshotCorrupt, BlobNotFound) as exc:
            log.warning(
                "search snapshot %s unusable (%s): rebuilding from the catalog", info.snapshot_id, exc
            )
            return None
        log.info(
            "search index loaded from snapshot %s: %d products in %.2f s",
            info.snapshot_id,
            len(index),
            time.monotonic() - started,
        )
        return _Live(index, info.watermark, info.snapshot_id, info.built_at)

    def _build(self) -> _Live:
        """A complete new index from the catalog, caught up and snapshotted (not yet live)."""
        started = time.monotonic()
        watermark = self.changes.latest()  # taken first: changes during the build are replayed
        docs = list(self.reader.all_documents())
        index = SearchIndex.build(docs, self._bulk_encoder())
        index.encoder = self.encoder  # queries embed one at a time with the serving session
        index.set_query_counts(self._popular())
        built_at = datetime.now(UTC).isoformat()
        live = _Live(index, watermark, None, built_at)
        self._catch_up(live)
        info = SnapshotInfo(_snapshot_id(), live.watermark, len(index), built_at)
        try:
            self.snapshots.write(info, index.to_bytes())
            live.snapshot_id = info.snapshot_id
        except Exception:  # the index still serves; the next rebuild tries the snapshot again
            log.exception("search snapshot could not be written")
        log.info("search index built: %d products in %.1f s", len(index), time.monotonic() - started)
        return live

    def _swap(self, live: _Live) -> None:
        # One assignment: a search holds either the old or the new object, both complete. The old
        # index's files go when its last in-flight search drops it (SearchIndex.__del__).
        self._live = live

    def _adopt(self, info: SnapshotInfo) -> None:
        """Load a snapshot another worker published, beside the live index, then swap."""
        if not self._adopting.acquire(blocking=False):
            return
        try:
            live = self._from_snapshot(info)
            if live is not None:
                self._catch_up(live)
                self._swap(live)
        finally:
            self._adopting.release()

    # -- keeping current --------------------------------------------------------------------

    def _maybe_sync(self, live: _Live) -> None:
        now = time.monotonic()
        if now - live.last_sync >= self.sync_seconds and live.sync_lock.acquire(blocking=False):
            try:
                self._catch_up(live, locked=True)
            except Exception:  # a store hiccup must not fail the search: the next one retries
                log.exception("search catch-up failed")
            finally:
                live.sync_lock.release()
        if now - self._last_popular >= POPULAR_REFRESH_SECONDS:
            self._last_popular = now
            try:
                live.index.set_query_counts(self._popular())
            except Exception:
                log.exception("popular queries could not be read")
        if now - self._last_pointer_check >= POINTER_CHECK_SECONDS:
            self._last_pointer_check = now
            info = self.snapshots.latest()
            if info is not None and info.snapshot_id != live.snapshot_id and info.built_at > live.built_at:
                threading.Thread(target=self._adopt, args=(info,), name="search-adopt", daemon=True).start()

    def _catch_up(self, live: _Live, *, locked: bool = False) -> None:
        if not locked:
            with live.sync_lock:
                self._catch_up(live, locked=True)
            return
        live.last_sync = time.monotonic()
        changes = self.changes.since(live.watermark)
        todo = [c for c in changes if live.applied.get(c.product_id, EPOCH) < c.at]
        if todo:
            self._apply(live.index, [c.product_id for c in todo])
            for c in todo:
                live.applied[c.product_id] = c.at
        if changes:
            live.watermark = max(live.watermark, changes[-1].at)
            horizon = (datetime.fromisoformat(live.watermark) - SKEW).isoformat(timespec="microseconds")
            live.applied = {p: at for p, at in live.applied.items() if at >= horizon}

    def _apply(self, index: SearchIndex, product_ids: Sequence[str]) -> None:
        docs = []
        for product_id in dict.fromkeys(product_ids):
            doc = self.reader.document(product_id)
            if doc is None:
                index.delete(product_id)
            else:
                docs.append(doc)  # archived ones too: the engine masks them, keeps their vector
        index.upsert_many(docs)
