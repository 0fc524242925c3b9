"""Retraining hooks: train from staged arrays, then score any artifact on the same holdout."""

from __future__ import annotations

import pandas as pd

from models.recommend.family import evaluate_artifact, train_frame


def test_train_frame_and_evaluate(interactions: pd.DataFrame, items: pd.DataFrame) -> None:
    frame = {
        "user_id": interactions["user_id"].to_numpy(dtype=str),
        "item_id": interactions["item_id"].to_numpy(dtype=str),
        "weight": interactions["weight"].to_numpy(dtype=float),
        "timestamp": (interactions["timestamp"].astype("int64") // 10**9).to_numpy(),
        "items_item_id": items["item_id"].to_numpy(dtype=str),
        "items_text": items["text"].to_numpy(dtype=str),
        "items_category": items["category"].to_numpy(dtype=str),
    }
    artifact, metrics, holdout = train_frame(frame)
    assert metrics["precision@10"] > metrics["popularity_precision@10"]
    scored = evaluate_artifact(artifact, holdout)
    assert scored["users"] > 0 and 0 < scored["precision@10"] <= 1
    # Every row is either history or target: the holdout is a split, not a copy.
    assert len(holdout["history_user_id"]) + len(holdout["target_user_id"]) == len(interactions)
