"""The recommendations family for the retraining orchestration (numpy arrays in and out, so the run's
data can be staged as .npz). Shaped for the pluggable ModelFamily protocol (extract -> train ->
evaluate): an adapter only has to call these.

- `train_frame(frame)`: artifact trained on all but a random holdout of the rows, its metrics next
  to popularity on that holdout, and the holdout (history rows + target rows) for `evaluate_artifact`.
- `evaluate_artifact(artifact, holdout)`: precision/nDCG@10 of any version on the same holdout.
  Serving folds the history in at request time, so champion and challenger are compared on exactly
  the same histories and targets, whatever data each was trained on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from models.recommend.evaluation import precision_ndcg_at_k
from models.recommend.scorer import RecsScorer

NAME = "recommendations"
K = 10
INTERACTION_KEYS = ("user_id", "item_id", "weight", "timestamp")  # timestamp: epoch seconds
ITEM_KEYS = ("items_item_id", "items_text", "items_category")


def _frames(frame: Mapping[str, np.ndarray]) -> tuple[Any, Any]:
    import pandas as pd

    inter = pd.DataFrame({k: np.asarray(frame[k]) for k in INTERACTION_KEYS if k in frame})
    items = None
    if "items_item_id" in frame:
        items = pd.DataFrame(
            {k.removeprefix("items_"): np.asarray(frame[k]) for k in ITEM_KEYS if k in frame}
        )
    return inter, items


def train_frame(
    frame: Mapping[str, np.ndarray], *, seed: int = 0, holdout_fraction: float = 0.2
) -> tuple[bytes, dict[str, float], dict[str, np.ndarray]]:
    from models.recommend.training import RecsParams, holdout_metrics, random_split, train_artifact

    inter, items = _frames(frame)
    train, test = random_split(inter, holdout_fraction, seed)
    artifact, _ = train_artifact(train, items, RecsParams(), seed=seed)
    metrics = holdout_metrics(inter, items, RecsParams(), seed=seed, test_fraction=holdout_fraction)
    holdout = {f"history_{k}": train[k].to_numpy() for k in ("user_id", "item_id") if k in train}
    if "weight" in train:
        holdout["history_weight"] = train["weight"].to_numpy(dtype=float)
    holdout.update({f"target_{k}": test[k].to_numpy() for k in ("user_id", "item_id")})
    return artifact, {k: float(v) for k, v in metrics.items()}, holdout


def evaluate_artifact(artifact: bytes, holdout: Mapping[str, np.ndarray], k: int = K) -> dict[str, float]:
    scorer = RecsScorer(artifact)
    weights = holdout.get("history_weight", np.ones(len(holdout["history_user_id"])))
    histories: dict[Any, dict[Any, float]] = {}
    for u, i, w in zip(
        holdout["history_user_id"].tolist(),
        holdout["history_item_id"].tolist(),
        np.asarray(weights, dtype=float).tolist(),
        strict=True,
    ):
        user = histories.setdefault(u, {})
        user[i] = user.get(i, 0.0) + w
    relevant: dict[Any, set[Any]] = {}
    for u, i in zip(holdout["target_user_id"].tolist(), holdout["target_item_id"].tolist(), strict=True):
        if u in histories:
            relevant.setdefault(u, set()).add(i)
    ranked = {u: [r.item_id for r in scorer.recommend_from(histories[u], k)] for u in relevant}
    p, n = precision_ndcg_at_k(ranked, relevant, k)
    return {f"precision@{k}": p, f"ndcg@{k}": n, "users": float(len(relevant))}
