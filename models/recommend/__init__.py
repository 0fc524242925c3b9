"""Recommendations: collaborative (EASE), content (TF-IDF), "also bought", popularity and a hybrid.

Evaluation interface (../shared/docs/ML.md):

    from models import recommend
    rec = recommend.fit(interactions, items=None)
    rec.recommend(user_id, k=10, exclude_seen=True) -> list of item ids
    rec.similar(item_id, k=10) -> list of item ids

Serving: `RecsScorer(artifact_bytes)` (onnxruntime + numpy only); training: `train_artifact`.
Training imports pandas/scipy/sklearn lazily, so importing this package stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.recommend.scorer import Reason, Recommendation, RecsScorer

if TYPE_CHECKING:
    import pandas as pd

    from models.recommend.fitted import Recommender
    from models.recommend.training import RecsParams

__all__ = ["Reason", "Recommendation", "RecsScorer", "fit", "train_artifact"]


def fit(
    interactions: pd.DataFrame, items: pd.DataFrame | None = None, params: RecsParams | None = None
) -> Recommender:
    from models.recommend.fitted import fit as _fit

    return _fit(interactions, items, params)


def train_artifact(
    interactions: pd.DataFrame, items: pd.DataFrame | None = None, params: RecsParams | None = None, **kw: Any
) -> tuple[bytes, dict[str, Any]]:
    from models.recommend.training import train_artifact as _train

    return _train(interactions, items, params, **kw)
