"""The numpy metrics the registry compares models with agree with scikit-learn."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import average_precision_score

from models.metrics import average_precision, recall_at_fpr


def test_average_precision_matches_scikit_learn_with_ties() -> None:
    rng = np.random.default_rng(0)
    y = (rng.random(2000) < 0.05).astype(int)
    scores = np.round(rng.random(2000) + y * 0.5, 2)  # rounding creates ties
    assert abs(average_precision(y, scores) - average_precision_score(y, scores)) < 1e-12


def test_average_precision_of_a_perfect_ranking_is_one_and_without_positives_zero() -> None:
    assert average_precision(np.array([0, 0, 1, 1]), np.array([0.1, 0.2, 0.8, 0.9])) == 1.0
    assert average_precision(np.array([0, 0]), np.array([0.1, 0.2])) == 0.0


def test_recall_at_fpr_counts_positives_above_the_allowed_negatives() -> None:
    y = np.array([0] * 100 + [1] * 4)
    scores = np.r_[np.linspace(0, 0.5, 99), 0.95, [0.99, 0.97, 0.9, 0.2]]
    # 1% of 100 negatives = 1 false positive allowed: threshold is the 2nd highest negative (0.5).
    assert recall_at_fpr(y, scores, 0.01) == 0.75
    assert recall_at_fpr(y, scores, 0.0) == 0.5
