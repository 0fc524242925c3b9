"""Ranking metrics in numpy alone, so the registry's challenger evaluation needs no scikit-learn."""

from __future__ import annotations

import numpy as np


def average_precision(y_true: np.ndarray, scores: np.ndarray) -> float:
    """PR-AUC as average precision (the step-wise sum scikit-learn's `average_precision_score` uses)."""
    y = np.asarray(y_true, dtype=np.int64).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    positives = int(y.sum())
    if positives == 0:
        return 0.0
    order = np.argsort(-s, kind="mergesort")
    y, s = y[order], s[order]
    # Group tied scores: precision/recall only change at distinct thresholds.
    last_of_tie = np.r_[np.nonzero(np.diff(s))[0], len(s) - 1]
    tp = np.cumsum(y)[last_of_tie]
    fp = (last_of_tie + 1) - tp
    precision = tp / (tp + fp)
    recall = tp / positives
    return float(np.sum(np.diff(np.r_[0.0, recall]) * precision))


def recall_at_fpr(y_true: np.ndarray, scores: np.ndarray, max_fpr: float = 0.01) -> float:
    """Share of positives caught at the strictest threshold whose false-positive rate <= max_fpr."""
    y = np.asarray(y_true, dtype=np.int64).reshape(-1)
    s = np.asarray(scores, dtype=np.float64).reshape(-1)
    negatives, positives = int((y == 0).sum()), int(y.sum())
    if positives == 0 or negatives == 0:
        return 0.0
    allowed = int(np.floor(max_fpr * negatives))  # false positives we may flag
    neg_scores = np.sort(s[y == 0])[::-1]
    # Flag rows scoring strictly above the (allowed+1)-th highest negative score.
    threshold = neg_scores[allowed] if allowed < negatives else -np.inf
    return float((s[y == 1] > threshold).sum() / positives)
