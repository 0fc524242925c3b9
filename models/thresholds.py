"""Decision thresholds from a budget, per model version (numpy only).

A fixed 0.5 / 0.9 means something different for every model (on a public set with 5% positives
0.9 flagged nothing). Instead the cut-offs are chosen on honest scores (cross-validated, the model
never saw the row) so that:

- review: at most `review_fpr` of legitimate rows score at or above it (a person looks at them),
  and, when `review_capacity` > 0, at most that share of *all* rows (what the team can review);
- reject: at most `reject_fpr` of legitimate rows (customers refused outright), never below review.

The result is stored with the version (`thresholds` in metadata.json, shown by GET /api/models) and
the scorer decides with it. Scores are compared after rounding to 4 decimals (as the scorer
returns them), so the cut-offs are on that grid.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

GRID = 1e-4


@dataclass(frozen=True)
class ThresholdBudget:
    review_fpr: float = 0.02
    reject_fpr: float = 0.002
    review_capacity: float = 0.0  # share of all scored rows; 0 = no capacity limit

    def __post_init__(self) -> None:
        for name in ("review_fpr", "reject_fpr", "review_capacity"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be within 0..1, got {value}")

    @classmethod
    def from_settings(cls, settings: Any) -> ThresholdBudget:
        return cls(
            review_fpr=settings.fraud_review_fpr,
            reject_fpr=settings.fraud_reject_fpr,
            review_capacity=settings.fraud_review_capacity,
        )

    def to_json(self) -> dict[str, float]:
        return {
            "reviewFpr": self.review_fpr,
            "rejectFpr": self.reject_fpr,
            "reviewCapacity": self.review_capacity,
        }


def _cutoff(scores: np.ndarray, share: float) -> float:
    """Smallest grid value t such that mean(round(scores) >= t) <= share (1.0001 flags nothing)."""
    s = np.sort(np.round(np.asarray(scores, dtype=np.float64), 4))[::-1]
    allowed = math.floor(share * len(s) + 1e-9)
    if len(s) == 0 or allowed >= len(s):
        return 0.0
    # Everything strictly above the (allowed+1)-th highest score may be flagged.
    t = round(float(s[allowed]) + GRID, 4)
    return min(t, 1.0 + GRID)


def budget_thresholds(scores: np.ndarray, y: np.ndarray, budget: ThresholdBudget) -> dict[str, Any]:
    """{review, reject, budget, expected: rates on the scores used}: what a version stores."""
    scores = np.asarray(scores, dtype=np.float64).reshape(-1)
    y = np.asarray(y).reshape(-1).astype(bool)
    legit = scores[~y]
    review = _cutoff(legit, budget.review_fpr)
    if budget.review_capacity > 0:
        review = max(review, _cutoff(scores, budget.review_capacity))
    reject = max(_cutoff(legit, budget.reject_fpr), review)
    r = np.round(scores, 4)

    def rates(t: float) -> dict[str, float]:
        flagged = r >= t
        return {
            "flaggedRate": float(flagged.mean()) if len(r) else 0.0,
            "falsePositiveRate": float(flagged[~y].mean()) if (~y).any() else 0.0,
            "recall": float(flagged[y].mean()) if y.any() else 0.0,
        }

    return {
        "review": review,
        "reject": reject,
        "budget": budget.to_json(),
        "expected": {"review": rates(review), "reject": rates(reject)},
        "rows": len(scores),
    }
