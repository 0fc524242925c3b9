"""Popularity without a model: what serves before the first recommendation model is promoted
(a fresh deployment) or when the model's artifact cannot be loaded.

Every `REFRESH_SECONDS` one thread sums the implicit-feedback weights of the last
`WINDOW_DAYS` of interactions per product (a cross-partition scan, bounded by `MAX_ROWS`), so
requests only sort a cached ranking. With no interactions at all the ranking is empty and the
caller shows the catalog's in-stock products in their listed order, flagged as popularity.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from itertools import islice

from shared.recommendations.feedback import weight
from shared.recommendations.interactions import InteractionStore, parse_at

REFRESH_SECONDS = 300.0
WINDOW_DAYS = 30
MAX_ROWS = 100_000


class PopularityFallback:
    def __init__(
        self,
        interactions: InteractionStore,
        *,
        half_life_days: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._interactions = interactions
        self._half_life = half_life_days
        self._clock = clock
        self._lock = threading.Lock()
        self._ranking: list[tuple[str, float]] | None = None
        self._expires = float("-inf")

    def ranking(self) -> list[tuple[str, float]]:
        """(product id, popularity) best first."""
        if self._ranking is not None and self._clock() < self._expires:
            return self._ranking
        if not self._lock.acquire(blocking=self._ranking is None):
            return self._ranking or []
        try:
            if self._ranking is None or self._clock() >= self._expires:
                self._ranking = self._compute()
                self._expires = self._clock() + REFRESH_SECONDS
            return self._ranking
        finally:
            self._lock.release()

    def invalidate(self) -> None:
        self._expires = float("-inf")

    def _compute(self) -> list[tuple[str, float]]:
        now = datetime.now(UTC)
        sums: dict[str, float] = {}
        for doc in islice(self._interactions.scan(since=now - timedelta(days=WINDOW_DAYS)), MAX_ROWS):
            at = parse_at(doc["at"])
            sums[doc["productId"]] = sums.get(doc["productId"], 0.0) + weight(
                doc["type"], at, now, half_life_days=self._half_life
            )
        return sorted(sums.items(), key=lambda kv: (-kv[1], kv[0]))
