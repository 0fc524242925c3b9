"""Top-k metrics as the microsoft/recommenders benchmark computes them (numpy only).

precision@k = hits in the top k / k; nDCG@k with binary relevance, ideal DCG over min(|relevant|, k);
both averaged over the users that have test items (and got a ranking).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np


def precision_ndcg_at_k(
    ranked: Mapping[Any, Sequence[Any]], relevant: Mapping[Any, set[Any]], k: int = 10
) -> tuple[float, float]:
    discounts = 1.0 / np.log2(np.arange(2, k + 2))
    precisions: list[float] = []
    ndcgs: list[float] = []
    for user, truth in relevant.items():
        if not truth or user not in ranked:
            continue
        top = list(ranked[user])[:k]
        gains = np.array([1.0 if item in truth else 0.0 for item in top])
        precisions.append(float(gains.sum()) / k)
        dcg = float((gains * discounts[: len(gains)]).sum())
        idcg = float(discounts[: min(len(truth), k)].sum())
        ndcgs.append(dcg / idcg)
    if not precisions:
        return 0.0, 0.0
    return float(np.mean(precisions)), float(np.mean(ndcgs))
