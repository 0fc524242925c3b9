"""Training: interactions (+ item attributes) -> a RecsModel -> ONNX artifact bytes + metrics.

Used by the evaluation interface (`recommend.fit`), by bench/recs_bench.py and by the retraining
orchestration (`train_artifact`). Imports pandas/scipy/sklearn: jobs only, never on a request path.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from models.recommend import algorithms
from models.recommend.data import InteractionMatrix, build
from models.recommend.evaluation import precision_ndcg_at_k
from models.recommend.graph import RecsModel, to_onnx

STRATEGIES = ("hybrid", "ease", "edlae", "rp3beta", "cooccurrence", "als", "content", "popularity")
# A shop this small (or with no interactions yet) gets the fallback model: content similarity on
# top of popularity. A collaborative model has next to nothing to learn from 10 products, and the
# top-10 holdout metrics cannot rank anything when every product fits in the list.
SMALL_CATALOG_ITEMS = 10
FALLBACK_POPULARITY_WEIGHT = 1.0


@dataclass(frozen=True)
class RecsParams:
    """Chosen by bench/recs_bench.py (validation split carved from the training part; see
    docs/recommendations-ml.md). lam_per_degree: EASE's lambda as a multiple of the mean item degree,
    so the tuned value carries over when the data grows (the Gram matrix grows with it)."""

    strategy: str = "hybrid"
    # Defaults: the values bench/recs_bench.py's validation tuning (2 folds of the train part) picked
    # most often over its 3 seeds: lambda 26 x mean degree, no dropout, RP3beta 0.3, column debias
    # -0.1 twice of three, row debias -0.15 every time, content 0.03 (docs/recommendations-ml.md).
    lam_per_degree: float = 26.0
    dropout: float = 0.0
    alpha_content: float = 0.03
    alpha_pop: float = 0.0
    rp3_weight: float = 0.3
    rp3_beta: float = 0.7
    # Popularity debiasing: W[i, j] *= deg_j ** col_exponent * deg_i ** row_exponent (still linear in
    # the history, so the graph is unchanged). Negative = lean away from blockbusters.
    col_exponent: float = -0.1
    row_exponent: float = -0.15
    # GF-CF's low-pass filter blended into the hybrid (algorithms.lowpass): rank and weight chosen on
    # the validation folds of the train parts (docs/recommendations-ml.md); 0 turns it off.
    lowpass_weight: float = 0.3
    lowpass_rank: int = 48
    als_factors: int = 64
    popularity_half_life_days: float | None = 60.0
    content_neighbours: int = 50

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def ease_lambda(m: InteractionMatrix, params: RecsParams) -> float:
    degree = m.X.nnz / max(1, len(m.items))
    return max(1.0, params.lam_per_degree * degree)


def _cached(cache: dict[Any, np.ndarray] | None, key: tuple[Any, ...], make: Any) -> np.ndarray:
    """Memoise the expensive parts (one n x n solve each) across a tuning grid on the same data."""
    if cache is None:
        return np.asarray(make())
    if key not in cache:
        cache[key] = make()
    return cache[key]


def collaborative(
    m: InteractionMatrix, params: RecsParams, cache: dict[Any, np.ndarray] | None = None
) -> np.ndarray:
    n = len(m.items)
    s = params.strategy
    if s in ("content", "popularity"):
        return np.zeros((n, n), dtype=np.float32)
    if s == "als":
        return algorithms.als_foldin(m.X, factors=params.als_factors)
    if s == "rp3beta":
        return _cached(cache, ("rp3", params.rp3_beta), lambda: algorithms.rp3beta(m.X, beta=params.rp3_beta))
    G = _cached(cache, ("gram",), lambda: algorithms.gram(m.X))
    if s == "cooccurrence":
        return algorithms.cooccurrence_cosine(G)
    dropout = params.dropout if s in ("edlae", "hybrid") else 0.0
    lam = ease_lambda(m, params)
    W = _cached(cache, ("ease", lam, dropout), lambda: algorithms.ease(G, lam, dropout=dropout))
    if s != "hybrid":
        return W
    W = W / max(float(np.abs(W).mean()), 1e-12)
    if params.rp3_weight > 0:
        R = _cached(cache, ("rp3", params.rp3_beta), lambda: algorithms.rp3beta(m.X, beta=params.rp3_beta))
        # Both on the same scale (mean absolute weight) before blending.
        R /= max(float(np.abs(R).mean()), 1e-12)
        W = (1 - params.rp3_weight) * W + params.rp3_weight * R
    if params.col_exponent or params.row_exponent:
        degree = np.asarray((m.X > 0).sum(axis=0), dtype=np.float64).ravel() + 1.0
        W = (
            W
            * np.power(degree, params.col_exponent)[None, :]
            * np.power(degree, params.row_exponent)[:, None]
        )
    return W.astype(np.float32)


def fit_model(
    interactions: pd.DataFrame, items: pd.DataFrame | None = None, params: RecsParams | None = None
) -> tuple[RecsModel, InteractionMatrix]:
    params = params or RecsParams()
    if params.strategy not in STRATEGIES:
        raise ValueError(f"unknown strategy {params.strategy!r}; one of {', '.join(STRATEGIES)}")
    m = build(interactions, items, popularity_half_life_days=params.popularity_half_life_days)
    return fit_matrix(m, params), m


def fit_matrix(
    m: InteractionMatrix, params: RecsParams, cache: dict[Any, np.ndarray] | None = None
) -> RecsModel:
    """The model for already-indexed interactions (`cache` shares the solves across a tuning grid)."""
    W = collaborative(m, params, cache)
    has_content = any(t for t in m.texts) or any(c for c in m.categories)
    use_content = params.strategy == "content" or (params.strategy == "hybrid" and params.alpha_content > 0)
    S = (
        _cached(
            cache,
            ("content", params.content_neighbours),
            lambda: algorithms.content_similarity(
                m.texts, m.categories, neighbours=params.content_neighbours
            ),
        ).copy()
        if has_content and use_content
        else np.zeros_like(W)
    )
    alpha_content = 1.0 if params.strategy == "content" else (params.alpha_content if use_content else 0.0)
    alpha_cf = 0.0 if params.strategy in ("content", "popularity") else 1.0
    alpha_pop = 1.0 if params.strategy == "popularity" else params.alpha_pop
    if params.strategy == "hybrid" and use_content:
        # Content cosine sums are O(1) per history item while EASE weights are much smaller:
        # scale the content part to EASE's mean row mass so alpha_content is a relative weight.
        S *= float(np.abs(W).sum() / max(np.abs(S).sum(), 1e-12))
    if params.strategy == "hybrid" and params.lowpass_weight > 0 and m.X.nnz:
        # (1 - w) * (the blend so far) + w * low-pass, each on the same scale (mean |weight|). The
        # low-pass part is collaborative (it goes to w_cf: "customers also bought").
        w = params.lowpass_weight
        scale = max(float(np.abs(W + alpha_content * S).mean()), 1e-12)
        rank = params.lowpass_rank
        L = _cached(cache, ("lowpass", rank), lambda: algorithms.lowpass(m.X, rank))
        W = ((1 - w) / scale) * W + (w / max(float(np.abs(L).mean()), 1e-12)) * L
        S = ((1 - w) / scale) * S
    info = {
        "strategy": params.strategy,
        "params": params.to_json(),
        "items": len(m.items),
        "users": len(m.users),
        "interactions": int(m.X.nnz),
    }
    return RecsModel(
        item_ids=m.items,
        categories=m.categories,
        popularity=m.popularity,
        w_cf=W,
        w_content=S,
        alpha_cf=alpha_cf,
        alpha_content=alpha_content,
        alpha_pop=alpha_pop,
        info=info,
    )


def random_split(
    interactions: pd.DataFrame, test_fraction: float, seed: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """A random split of the rows (the microsoft/recommenders python_random_split protocol)."""
    rng = np.random.default_rng(seed)
    test = rng.random(len(interactions)) < test_fraction
    return interactions[~test], interactions[test]


def evaluate_scores(
    scores: np.ndarray, train: InteractionMatrix, test: pd.DataFrame, k: int = 10
) -> tuple[float, float]:
    """precision@k, nDCG@k of a [users, items] score matrix, excluding each user's train items."""
    seen = train.X.tocsr()
    ranked: dict[Any, list[Any]] = {}
    test_users = [u for u in pd.unique(test["user_id"]) if u in train.user_index]
    for u in test_users:
        i = train.user_index[u]
        row = np.array(scores[i], dtype=np.float64, copy=True)
        row[seen.indices[seen.indptr[i] : seen.indptr[i + 1]]] = -np.inf
        # argpartition needs k < n: a catalogue of k items or fewer is ranked whole.
        top = np.argpartition(-row, k)[:k] if k < row.size else np.arange(row.size)
        top = top[np.argsort(-row[top], kind="stable")]
        ranked[u] = [train.items[j] for j in top if np.isfinite(row[j])]
    relevant = test.groupby("user_id")["item_id"].apply(set).to_dict()
    return precision_ndcg_at_k(ranked, {u: relevant[u] for u in test_users}, k)


def model_scores(model: RecsModel, m: InteractionMatrix) -> np.ndarray:
    """All users' scores at once (the numpy path of the graph: history @ W + bias)."""
    W = model.alpha_cf * model.w_cf + model.alpha_content * model.w_content
    return np.asarray(m.X @ W) + model.bias[None, :]


def holdout_metrics(
    interactions: pd.DataFrame,
    items: pd.DataFrame | None,
    params: RecsParams,
    *,
    seed: int = 0,
    test_fraction: float = 0.2,
    k: int = 10,
) -> dict[str, float]:
    """The model next to popularity on a random holdout of the rows (same split, same run)."""
    train, test = random_split(interactions, test_fraction, seed)
    model, m = fit_model(train, items, params)
    p, n = evaluate_scores(model_scores(model, m), m, test, k)
    pop_model, _ = fit_model(train, items, replace(params, strategy="popularity"))
    pp, pn = evaluate_scores(model_scores(pop_model, m), m, test, k)
    return {
        f"precision@{k}": p,
        f"ndcg@{k}": n,
        f"popularity_precision@{k}": pp,
        f"popularity_ndcg@{k}": pn,
        "holdout_rows": len(test),
    }


def fallback_params(params: RecsParams) -> RecsParams:
    """The small-shop model: content similarity (TF-IDF) over popularity, no collaborative part."""
    return replace(params, strategy="content", alpha_pop=FALLBACK_POPULARITY_WEIGHT)


def needs_fallback(interactions: pd.DataFrame, items: pd.DataFrame | None) -> str | None:
    """Why the collaborative model is not trained (None: it is)."""
    known = set(pd.unique(interactions["item_id"].dropna())) if "item_id" in interactions else set()
    if items is not None and "item_id" in items:
        known |= set(pd.unique(items["item_id"].dropna()))
    if not known:
        raise ValueError("no items to recommend: neither interactions nor catalogue items")
    if not _has_rows(interactions):
        return "no interactions yet"
    if len(known) <= SMALL_CATALOG_ITEMS:
        return f"{len(known)} items (at most {SMALL_CATALOG_ITEMS}: too few for a collaborative model)"
    return None


def _has_rows(interactions: pd.DataFrame) -> bool:
    if not {"user_id", "item_id"} <= set(interactions.columns):
        return False
    return not interactions.dropna(subset=["user_id", "item_id"]).empty


def _items_only(items: pd.DataFrame) -> pd.DataFrame:
    """No interactions yet: one zero-weight row per catalogue item, so the matrix indexes them all
    (popularity is all zero; the content part still relates the items)."""
    ids = list(pd.unique(items["item_id"].dropna()))
    return pd.DataFrame({"user_id": ["_catalogue"] * len(ids), "item_id": ids, "weight": 0.0})


def train_artifact(
    interactions: pd.DataFrame,
    items: pd.DataFrame | None = None,
    params: RecsParams | None = None,
    *,
    seed: int = 0,
) -> tuple[bytes, dict[str, Any]]:
    """(ONNX artifact bytes, metrics): holdout metrics vs popularity, then a refit on everything.
    A small shop (<= SMALL_CATALOG_ITEMS products, or no interactions) gets the fallback model
    (content over popularity) and `metrics["fallback"] = 1`, still a complete, servable artifact."""
    params = params or RecsParams()
    metrics: dict[str, Any] = {}
    why = needs_fallback(interactions, items)
    empty = not _has_rows(interactions)
    if why is not None:
        params = fallback_params(params)
        metrics.update({"fallback": 1.0, "fallback_reason": why})
    if empty:
        assert items is not None  # needs_fallback raised otherwise
        interactions = _items_only(items)
    elif len(interactions) >= 50:
        metrics.update(holdout_metrics(interactions, items, params, seed=seed))
    model, m = fit_model(interactions, items, params)
    metrics.update(
        {
            "items": len(m.items),
            "users": 0 if empty else len(m.users),
            "interactions": 0 if empty else int(m.X.nnz),
        }
    )
    model = replace(model, info={**model.info, "metrics": metrics})
    return to_onnx(model), metrics
