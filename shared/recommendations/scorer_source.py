"""The champion recommendation model of this process (the `ScorerSource` adapter).

Like `models.runtime.ModelRuntime` for fraud: the registry's champion pointer is polled by ETag at
most every `MODEL_REFRESH_SECONDS`, a promoted (or rolled back) version is loaded once and swapped
in without a restart, and storage trouble keeps the loaded model serving. The artifact's bytes
become a scorer through `loader` (by default `models.recommend.RecsScorer`, onnxruntime only),
once per version: the ONNX session and the item tables are built once, not per request.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Mapping

from models.registry import ModelRegistry, local_pointer_writes
from shared.recommendations.ports import ItemScorer, LiveScorer, ScorerSource

log = logging.getLogger("smartcommerce.recommendations")
MODEL_NAME = "recommendations"
NO_MODEL_RECHECK_SECONDS = 1.0


def reblend(scorer: ItemScorer, blend: Mapping[str, float]) -> ItemScorer:
    """A RecsScorer whose graph uses other blend weights: the same item matrices, new alphas,
    rebuilt with onnx.helper (a few ms for a few hundred items; cached per version and blend)."""
    from dataclasses import replace

    from models.recommend import RecsScorer
    from models.recommend.graph import to_onnx

    if not isinstance(scorer, RecsScorer):
        return scorer
    model = scorer.model
    blended = replace(
        model,
        alpha_cf=float(blend.get("collaborative", model.alpha_cf)),
        alpha_content=float(blend.get("content", model.alpha_content)),
        alpha_pop=float(blend.get("popularity", model.alpha_pop)),
    )
    return RecsScorer(to_onnx(blended))


def load_recs_scorer(data: bytes) -> ItemScorer:
    """The serving class of models/recommend (imports onnxruntime, never scikit-learn)."""
    from models.recommend import RecsScorer

    return RecsScorer.from_bytes(data)  # type: ignore[no-any-return]


class ChampionScorerSource(ScorerSource):
    def __init__(
        self,
        registry: ModelRegistry,
        *,
        name: str = MODEL_NAME,
        refresh_seconds: float = 30.0,
        loader: Callable[[bytes], ItemScorer] = load_recs_scorer,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self._name = name
        self._refresh_seconds = refresh_seconds
        self._loader = loader
        self._clock = clock
        self._lock = threading.Lock()
        self._live: LiveScorer | None = None
        self._etag: str | None = None
        self._next_check = float("-inf")
        self._seen_writes = local_pointer_writes(name)
        self._blends: dict[tuple[str, tuple[tuple[str, float], ...]], ItemScorer] = {}

    def blended(self, live: LiveScorer, blend: Mapping[str, float]) -> ItemScorer:
        key = (live.version, tuple(sorted((k, float(v)) for k, v in blend.items())))
        with self._lock:
            found = self._blends.get(key)
        if found is not None:
            return found
        try:
            scorer = reblend(live.scorer, blend)
        except Exception:  # a variant must never take serving down: the trained blend serves
            log.exception("model %s: could not re-blend version %s with %s", self._name, live.version, blend)
            scorer = live.scorer
        with self._lock:
            if len(self._blends) > 16:
                self._blends.clear()
            self._blends[key] = scorer
        return scorer

    def current(self) -> LiveScorer | None:
        writes = local_pointer_writes(self._name)
        if writes != self._seen_writes:  # this process promoted or rolled back: look now
            self._seen_writes = writes
            self._next_check = float("-inf")
        if self._clock() < self._next_check:
            return self._live
        if not self._lock.acquire(blocking=self._live is None):
            return self._live
        try:
            if self._clock() >= self._next_check:
                self._refresh()
                interval = (
                    self._refresh_seconds
                    if self._live
                    else min(self._refresh_seconds, NO_MODEL_RECHECK_SECONDS)
                )
                self._next_check = self._clock() + interval
        finally:
            self._lock.release()
        return self._live

    def _refresh(self) -> None:
        try:
            etag = self._registry.champion_etag(self._name)
            if etag is None or etag == self._etag:
                return
            pointer = self._registry.champion(self._name)
            if pointer is None:
                return
            if self._live is None or self._live.version != pointer.version:
                scorer = self._loader(self._registry.load_onnx(self._name, pointer.version))
                self._live = LiveScorer(scorer, pointer.version)
                log.info("model %s: serving version %s", self._name, pointer.version)
            self._etag = pointer.etag
        except Exception:  # storage or a bad artifact must not break serving: keep what we have
            log.exception(
                "model %s: champion refresh failed; keeping version %s",
                self._name,
                self._live.version if self._live else None,
            )
