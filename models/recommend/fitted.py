"""The ML.md evaluation object: a trained artifact plus each training user's history."""

from __future__ import annotations

from typing import Any

import pandas as pd

from models.recommend.graph import to_onnx
from models.recommend.scorer import RecsScorer
from models.recommend.training import RecsParams, fit_model


class Recommender:
    def __init__(self, scorer: RecsScorer, histories: dict[Any, dict[Any, float]]) -> None:
        self.scorer = scorer
        self.histories = histories

    def recommend(self, user_id: Any, k: int = 10, exclude_seen: bool = True) -> list[Any]:
        history = self.histories.get(user_id, {})
        recs = self.scorer.recommend_from(history, k, exclude_history=exclude_seen)
        return [r.item_id for r in recs]

    def similar(self, item_id: Any, k: int = 10) -> list[Any]:
        return [r.item_id for r in self.scorer.similar_to(item_id, k)]


def fit(
    interactions: pd.DataFrame, items: pd.DataFrame | None = None, params: RecsParams | None = None
) -> Recommender:
    model, m = fit_model(interactions, items, params)
    X = m.X.tocsr()
    histories: dict[Any, dict[Any, float]] = {}
    for u, i in m.user_index.items():
        lo, hi = X.indptr[i], X.indptr[i + 1]
        histories[u] = {m.items[j]: float(w) for j, w in zip(X.indices[lo:hi], X.data[lo:hi], strict=True)}
    return Recommender(RecsScorer(to_onnx(model)), histories)
