"""Serving: champion models on onnxruntime alone (no scikit-learn, scipy or pandas here).

- One InferenceSession per (model, version) per process, one intra-op thread (single-row serving
  on small machines is fastest that way; see docs/ML.md), shared by every thread (`run` is
  thread-safe).
- The champion pointer's ETag is checked at most every `refresh_seconds`, not on every call; when it
  changed, the new version is loaded and swapped in, so a promotion (or rollback) reaches a
  running process without a restart.
- A failing blob store keeps the model already loaded (scoring must not depend on storage health).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import onnxruntime as ort

from models.registry import ModelRegistry, local_pointer_writes

log = logging.getLogger(__name__)
MAX_CACHED_SESSIONS = 8
# While no version is live (a fresh host still training its first model at seed time), the pointer
# is re-checked this often, so the first model serves within seconds of its promotion instead of
# one full refresh interval later. A HEAD-like read per interval: still not one per call.
NO_MODEL_RECHECK_SECONDS = 1.0


@dataclass(frozen=True)
class LoadedModel:
    name: str
    version: str
    metadata: dict[str, Any]
    session: ort.InferenceSession

    def run(self, X: np.ndarray, output: str = "score") -> np.ndarray:
        feed = {self.session.get_inputs()[0].name: np.ascontiguousarray(X, dtype=np.float32)}
        (result,) = self.session.run([output], feed)
        return np.asarray(result)


_sessions: dict[tuple[str, str], LoadedModel] = {}
_sessions_lock = threading.Lock()


def load_version(registry: ModelRegistry, name: str, version: str) -> LoadedModel:
    """The process-wide session for name+version, created on first use."""
    key = (name, version)
    with _sessions_lock:
        cached = _sessions.get(key)
    if cached is not None:
        return cached
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(
        registry.load_onnx(name, version), options, providers=["CPUExecutionProvider"]
    )
    loaded = LoadedModel(name, version, registry.metadata(name, version), session)
    with _sessions_lock:
        loaded = _sessions.setdefault(key, loaded)  # another thread may have won the race
        while len(_sessions) > MAX_CACHED_SESSIONS:
            _sessions.pop(next(iter(_sessions)))
    return loaded


class ModelRuntime:
    """The live version of one model for this process."""

    def __init__(
        self,
        registry: ModelRegistry,
        name: str,
        *,
        refresh_seconds: float = 30.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._registry = registry
        self.name = name
        self._refresh_seconds = refresh_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._model: LoadedModel | None = None
        self._etag: str | None = None
        self._next_check = float("-inf")
        self._seen_writes = local_pointer_writes(name)

    def current(self) -> LoadedModel | None:
        """The champion, or None while no version has been promoted."""
        writes = local_pointer_writes(self.name)
        if writes != self._seen_writes:
            # This process just promoted or rolled back: serve it from the next call on.
            self._seen_writes = writes
            self._next_check = float("-inf")
        if self._clock() < self._next_check:
            return self._model
        # Only one thread refreshes; the others keep scoring with the model they have.
        if not self._lock.acquire(blocking=self._model is None):
            return self._model
        try:
            if self._clock() >= self._next_check:
                self._refresh()
                interval = self._refresh_seconds
                if self._model is None:
                    interval = min(interval, NO_MODEL_RECHECK_SECONDS)
                self._next_check = self._clock() + interval
        finally:
            self._lock.release()
        return self._model

    def _refresh(self) -> None:
        try:
            etag = self._registry.champion_etag(self.name)
            if etag is None or etag == self._etag:
                return
            pointer = self._registry.champion(self.name)
            if pointer is None:
                return
            if self._model is None or self._model.version != pointer.version:
                self._model = load_version(self._registry, self.name, pointer.version)
                log.info("model %s: serving version %s", self.name, pointer.version)
            self._etag = pointer.etag
        except Exception:  # storage trouble must not break scoring; retried after the interval
            log.exception(
                "model %s: champion refresh failed; keeping version %s",
                self.name,
                self._model.version if self._model else None,
            )
