"""The benchmark's metrics on hand-worked cases, and the offline MovieLens copy it reads."""

from __future__ import annotations

import math

import pytest

from bench.recs_datasets import movielens_100k
from models.recommend.evaluation import precision_ndcg_at_k


def test_precision_and_ndcg_by_hand() -> None:
    ranked = {"a": [1, 2, 3], "b": [4, 5, 6]}
    relevant = {"a": {1, 3}, "b": {9}, "c": {1}}  # c got no ranking: not counted
    p, n = precision_ndcg_at_k(ranked, relevant, k=3)
    assert p == pytest.approx((2 / 3 + 0) / 2)
    dcg_a = 1 + 1 / math.log2(4)
    idcg_a = 1 + 1 / math.log2(3)
    assert n == pytest.approx((dcg_a / idcg_a + 0) / 2)


def test_perfect_ranking_scores_one() -> None:
    assert precision_ndcg_at_k({"u": [1, 2]}, {"u": {1, 2}}, k=2) == (1.0, 1.0)


def test_movielens_100k_is_installed_offline() -> None:
    inter, items = movielens_100k()
    assert len(inter) == 100_000 and inter["user_id"].nunique() == 943
    assert len(items) == 1682 and items["text"].str.len().min() > 0
