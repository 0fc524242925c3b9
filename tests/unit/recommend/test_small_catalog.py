"""Training never fails for a small shop (issue 13): <= SMALL_CATALOG_ITEMS products or no
interactions yet give the fallback model (content over popularity), a complete ONNX artifact."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.recommend import RecsScorer
from models.recommend.data import build
from models.recommend.training import SMALL_CATALOG_ITEMS, evaluate_scores, train_artifact

ITEMS = pd.DataFrame(
    {
        "item_id": ["mug-a", "mug-b", "tea-a", "tea-b"],
        "text": ["ceramic mug blue", "ceramic mug red", "green tea leaves", "black tea leaves"],
        "category": ["mugs", "mugs", "teas", "teas"],
    }
)


def test_no_interactions_gives_a_content_model_over_every_item() -> None:
    empty = pd.DataFrame(columns=["user_id", "item_id", "weight", "timestamp"])
    artifact, metrics = train_artifact(empty, ITEMS)
    assert metrics["fallback"] == 1.0 and metrics["interactions"] == 0 and metrics["items"] == 4
    scorer = RecsScorer(artifact)
    assert scorer.n_items == 4 and scorer.info["strategy"] == "content"
    recs = scorer.recommend_from({"mug-a": 1.0}, 3)
    assert recs[0].item_id == "mug-b" and recs[0].reason.kind == "similar_to"
    assert len(scorer.popular(10)) == 4


def test_a_few_interactions_on_a_tiny_catalogue_rank_by_popularity_and_content() -> None:
    rows = [("u1", "tea-a"), ("u2", "tea-a"), ("u3", "tea-a"), ("u3", "mug-a"), ("u4", "tea-b")]
    inter = pd.DataFrame(rows, columns=["user_id", "item_id"])
    artifact, metrics = train_artifact(inter, ITEMS)
    assert metrics["fallback"] == 1.0 and "precision@10" not in metrics  # too few rows for a holdout
    scorer = RecsScorer(artifact)
    assert scorer.popular(1)[0].item_id == "tea-a"  # 3 of the 5 interactions
    assert scorer.recommend_from({"tea-b": 1.0}, 1)[0].item_id == "tea-a"


def test_the_holdout_runs_when_the_catalogue_is_smaller_than_top_k() -> None:
    rows = [(f"u{u}", f"i{(u + j) % 6}") for u in range(40) for j in range(2)]
    inter = pd.DataFrame(rows, columns=["user_id", "item_id"])
    _, metrics = train_artifact(inter)
    assert metrics["fallback"] == 1.0 and metrics["items"] == 6 <= SMALL_CATALOG_ITEMS
    assert 0.0 < metrics["precision@10"] <= 0.6 and 0.0 < metrics["ndcg@10"] <= 1.0
    m = build(inter)
    ranked = evaluate_scores(np.ones((len(m.users), 6)), m, inter.head(5), k=10)
    assert ranked[0] == 0.0  # every test item was a train item: excluded, nothing left to hit


def test_a_catalogue_above_the_threshold_trains_the_collaborative_hybrid() -> None:
    rows = [(f"u{u}", f"i{(u + j) % 12}") for u in range(40) for j in range(3)]
    _, metrics = train_artifact(pd.DataFrame(rows, columns=["user_id", "item_id"]))
    assert "fallback" not in metrics and metrics["items"] == 12


def test_nothing_to_recommend_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="no items"):
        train_artifact(pd.DataFrame(columns=["user_id", "item_id"]), None)
