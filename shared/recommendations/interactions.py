"""The interaction history: container `interactions`, partition `/userId`, one document per
interaction `{id, userId, productId, type, at, source}`.

One document per interaction (not a per-user counter document) so that writes never contend and
an order event's purchases are idempotent by id (`<eventId>:<productId>`: a redelivery finds its
documents there). Serving reads a user's newest `HISTORY_LIMIT` interactions, one partition query,
cached per process for `RECS_HISTORY_CACHE_SECONDS` (default 1 s) and dropped on this instance's
own writes: a new interaction shows in the next response here at once, on other instances within
that second, and no retrain is involved (the model folds the history in at request time).

An expired entry is read again, and if nothing changed the cached list object is kept: what the
service derived from it (fold-in weights, the rendered list, remembered by identity) stays valid,
so re-checking an active user's history costs one query instead of a fold-in, an ONNX run and a
rendering. Kept at most `KEEP_SECONDS` (the weights' recency decay moves meanwhile). Each entry
lives a random 50-100 % of the cache time, so users whose histories were read together (a burst
of first requests, a deployment) do not all expire, and queue behind each other, in the same
millisecond every second; the tail of `GET /recommendations` was that (docs/recommendations.md).
"""

from __future__ import annotations

import random
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from datetime import UTC, datetime

from shared.ports.documents import Container, DocumentExists, DocumentNotFound, DocumentStore, Filter, Query
from shared.recommendations.feedback import Interaction

CONTAINER = "interactions"
PARTITION_KEY = "/userId"
HISTORY_LIMIT = 500
MAX_CACHED_USERS = 20_000
KEEP_SECONDS = 60.0  # an unchanged history keeps its object (and derived weights) this long at most
JITTER = 0.5  # an entry lives (1 - JITTER * U[0, 1)) x the cache time: never longer than it


def iso(at: datetime) -> str:
    """Fixed width UTC, so string order is time order in both stores' indexes."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_at(value: str) -> datetime:
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class InteractionStore:
    def __init__(
        self,
        store: DocumentStore,
        *,
        cache_seconds: Callable[[], float] = lambda: 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._store = store
        self._container: Container | None = None
        self._cache_seconds = cache_seconds
        self._clock = clock
        self._lock = threading.Lock()
        # user -> (expires, history, keep until): see the module docstring
        self._cache: dict[str, tuple[float, list[Interaction], float]] = {}
        self._random = random.Random()
        self._forgets = 0  # bumped by every forget: a read that overlapped one is not cached

    @property
    def store(self) -> DocumentStore:
        return self._store

    @property
    def container(self) -> Container:
        if self._container is None:
            try:
                self._container = self._store.container(CONTAINER, PARTITION_KEY, indexes=("at",))
            except TypeError:  # an adapter without index declarations
                self._container = self._store.container(CONTAINER, PARTITION_KEY)
        return self._container

    def record(
        self,
        *,
        user_id: str,
        product_id: str,
        kind: str,
        at: datetime | None = None,
        interaction_id: str | None = None,
        source: str = "api",
    ) -> bool:
        """Store one interaction; False if `interaction_id` was stored before (a redelivery)."""
        when = at or datetime.now(UTC)
        doc = {
            "id": interaction_id or uuid.uuid4().hex,
            "userId": user_id,
            "productId": product_id,
            "type": kind,
            "at": iso(when),
            "source": source,
        }
        try:
            self.container.create(doc)
            created = True
        except DocumentExists:
            created = False
        self.forget_cached(user_id)
        return created

    def forget_cached(self, user_id: str) -> None:
        with self._lock:
            self._cache.pop(user_id, None)
            self._forgets += 1

    def history(self, user_id: str) -> list[Interaction]:
        """The user's newest interactions, newest first."""
        ttl = self._cache_seconds()
        now = self._clock()
        entry, forgets = None, 0
        if ttl > 0:
            with self._lock:
                entry, forgets = self._cache.get(user_id), self._forgets
            if entry is not None and entry[0] > now:
                return entry[1]
        page = self.container.query(
            Query(order_by=(("at", "desc"),)), partition_key=user_id, max_items=HISTORY_LIMIT
        )
        items = [Interaction(d["productId"], d["type"], parse_at(d["at"])) for d in page.items]
        if ttl > 0:
            keep = now + KEEP_SECONDS * (1 - JITTER * self._random.random())
            if entry is not None and now < entry[2] and entry[1] == items:
                items, keep = entry[1], entry[2]  # unchanged: the same object, derived facts stay valid
            expires = now + ttl * (1 - JITTER * self._random.random())
            with self._lock:
                if len(self._cache) >= MAX_CACHED_USERS:
                    self._cache.clear()
                if self._forgets == forgets:  # no write landed while we read (it may be missing)
                    self._cache[user_id] = (expires, items, keep)
        return items

    def page(
        self, user_id: str, *, limit: int, continuation_token: str | None
    ) -> tuple[list[dict], str | None]:
        """The raw documents for `GET /me/interactions`, newest first."""
        result = self.container.query(
            Query(order_by=(("at", "desc"),)),
            partition_key=user_id,
            max_items=limit,
            continuation_token=continuation_token,
        )
        return result.items, result.continuation_token

    def erase_user(self, user_id: str) -> int:
        docs = self.container.query_all(Query(), partition_key=user_id)
        for doc in docs:
            with suppress(DocumentNotFound):
                self.container.delete(doc["id"], user_id)
        self.forget_cached(user_id)
        return len(docs)

    def scan(self, *, since: datetime | None = None) -> Iterator[dict]:
        """Every interaction (cross-partition; training and popularity only, never per request)."""
        where = (Filter("at", ">=", iso(since)),) if since else ()
        token: str | None = None
        while True:
            page = self.container.query(Query(where=where), max_items=1000, continuation_token=token)
            yield from page.items
            token = page.continuation_token
            if not token:
                return
