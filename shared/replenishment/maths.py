"""Reorder maths on a stored forecast (numpy + stdlib: request paths use it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from models.forecast.reorder import ReorderAdvice, reorder_advice


@dataclass(frozen=True)
class StoredForecast:
    """A forecast document's daily means and spreads, in the shape `reorder_advice` reads.
    Past the stored horizon the last day's mean and spread repeat (a flat continuation)."""

    mean: np.ndarray
    sd: np.ndarray

    @classmethod
    def of(cls, doc: dict[str, Any]) -> StoredForecast:
        return cls(np.asarray(doc["daily"], dtype=float), np.asarray(doc["std"], dtype=float))

    def _take(self, values: np.ndarray, h: int) -> np.ndarray:
        if h <= len(values):
            return values[:h]
        return np.concatenate([values, np.full(h - len(values), values[-1] if len(values) else 0.0)])

    def predict(self, h: int) -> np.ndarray:
        return self._take(self.mean, h)

    def std(self, h: int) -> np.ndarray:
        return self._take(self.sd, h)


def advice_for(
    doc: dict[str, Any], *, available: int, lead_time: float, service_level: float
) -> ReorderAdvice:
    return reorder_advice(
        StoredForecast.of(doc), lead_time=lead_time, service_level=service_level, on_hand=max(available, 0)
    )
