"""Fusion of the keyword and semantic lists, personalization, and the stable final order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from shared.search.engine.types import Preference, Sort

# Reciprocal-rank fusion (Cormack et al. 2009): score = sum_i w_i / (k + rank_i). The index's
# IndexOptions carry the values tuned on the validation queries (docs/search.md).
RRF_K = 60.0
KEYWORD_WEIGHT = 1.0
SEMANTIC_WEIGHT = 1.0
RERANK_WINDOW = 100


@dataclass(frozen=True)
class Ranked:
    rows: np.ndarray  # int64
    scores: np.ndarray  # float64, higher is better


def rrf(
    keyword: Ranked,
    semantic: Ranked,
    *,
    k: float = RRF_K,
    kw: float = KEYWORD_WEIGHT,
    sw: float = SEMANTIC_WEIGHT,
) -> Ranked:
    """Both inputs best first; a row in one list only gets that list's share."""
    rows = np.concatenate([keyword.rows, semantic.rows])
    shares = np.concatenate(
        [kw / (k + 1 + np.arange(len(keyword.rows))), sw / (k + 1 + np.arange(len(semantic.rows)))]
    )
    unique, inverse = np.unique(rows, return_inverse=True)
    return Ranked(unique, np.bincount(inverse, weights=shares, minlength=len(unique)))


def personalize(
    ranked: Ranked,
    pref: Preference,
    *,
    categories: np.ndarray,
    brands: np.ndarray,
    category_ids: list[str],
    brand_ids: list[str],
    vectors: np.ndarray | None,
    product_ids: Sequence[str],
) -> Ranked:
    """Re-score the best RERANK_WINDOW rows: relevance (scaled to [0, 1]) + weight x taste.

    Only the window moves, so a shopper's taste reorders good results and never pulls in poor
    ones. `vectors` are the window's embeddings (rows in `ranked` order), or None.
    """
    if pref.weight <= 0 or len(ranked.rows) == 0:
        return ranked
    order = np.argsort(-ranked.scores, kind="stable")
    window = order[:RERANK_WINDOW]
    base = ranked.scores[window]
    rel = base / base.max() if base.max() > 0 else np.zeros_like(base)
    taste = np.zeros(len(window))
    rows = ranked.rows[window]
    if pref.category_weights:
        taste += [pref.category_weights.get(category_ids[c], 0.0) for c in categories[rows]]
    if pref.brand_weights:
        taste += [pref.brand_weights.get(brand_ids[b], 0.0) for b in brands[rows]]
    if pref.vector is not None and vectors is not None:
        taste += vectors[window] @ np.asarray(pref.vector, dtype=np.float32)
    if pref.item_scorer is not None:
        taste += np.asarray(pref.item_scorer([product_ids[r] for r in rows]), dtype=np.float64)
    scores = ranked.scores.astype(np.float64).copy()
    # Keep the window above everything outside it: shift by the best score outside it.
    floor = ranked.scores[order[RERANK_WINDOW]] if len(order) > RERANK_WINDOW else 0.0
    scores[window] = floor + 1.0 + rel + pref.weight * np.clip(taste, -1.0, 1.0)
    return Ranked(ranked.rows, scores)


def order(
    ranked: Ranked, sort: Sort, *, price: np.ndarray, popularity: np.ndarray, tie: np.ndarray
) -> np.ndarray:
    """Positions into `ranked` in their final order. `tie` is each row's rank by product id: the
    last key, so equal scores come out in one fixed order and pages never overlap or skip."""
    rows = ranked.rows
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    if sort == "price_asc":
        keys: tuple[np.ndarray, ...] = (tie[rows], price[rows])
    elif sort == "price_desc":
        keys = (tie[rows], -price[rows])
    elif sort == "popularity":
        keys = (tie[rows], -popularity[rows])
    else:
        keys = (tie[rows], -popularity[rows], -np.round(ranked.scores, 9))
    return np.lexsort(keys)
