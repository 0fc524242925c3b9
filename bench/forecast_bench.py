"""Forecasting and pricing benchmark, every figure next to a baseline measured in the same run.

1. Forecasts (`forecast.fit`) on public series, rolling-origin held-out evaluation
   (models.forecast.evaluation): horizon 12 months / 8 quarters / 13 weeks / 14 days; 6 origins,
   2 steps apart, at the end of each series (the last origin leaves exactly one horizon); the
   whole fit (its own internal backtest and method choice) sees only the data before each origin.
   MASE vs seasonal naive on the same points (target: mean MASE >= 25% below seasonal naive on
   wineind, ausbeer, airline, shampoo), empirical coverage of the 80% / 90% intervals, fit time.
   Then series not used to choose any default (pmdarima, sktime, statsmodels data) and synthetic
   daily sku series (regular and intermittent).
2. Elasticity recovery: synthetic sales with known per-sku elasticities (3 seeds): interval
   coverage, mean absolute error and sign vs a naive per-sku log-log OLS (no controls, no
   pooling) and the naive pooled OLS (one slope for all); then Dominick's orangeJuice panel
   (store x brand products, brand = category): brand elasticities next to the naive pooled OLS.
3. Profit simulation with known demand (bench/pricing_sim.py): recommended vs current prices vs
   the oracle that knows the true elasticities (target: >= 80% of the oracle's uplift).

`python -m bench.forecast_bench [--quick] [--only=forecast|pricing]` (10-30 minutes on a busy 2-core
VM; --quick: the four contract series and one simulation seed). The orangeJuice file is fetched on first use
(apt-get download r-cran-bayesm; `make bench-data`).
"""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: `python bench/forecast_bench.py`
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from bench.forecast_data import contract_series, orange_juice, other_series  # noqa: E402
from bench.pricing_sim import simulate  # noqa: E402
from models import pricing  # noqa: E402
from models.forecast.evaluation import evaluate_series  # noqa: E402
from models.synthetic_sales import generate_sales  # noqa: E402

WINDOWS, STEP = 6, 2


def forecast_table(series: dict[str, pd.Series], title: str) -> tuple[float, float]:
    print(f"\n{title}")
    print(
        f"{'series':<16}{'n':>5}{'m':>4}{'h':>4}  {'MASE':>6} {'sNaive':>6} {'rel':>6}"
        f"  {'cov80':>6} {'cov90':>6}  {'fit s':>6}  methods chosen"
    )
    rows = []
    for name, y in series.items():
        r = evaluate_series(y, windows=WINDOWS, step=STEP)
        rows.append(r)
        methods = ",".join(sorted(set(r["methods"]), key=r["methods"].index))
        print(
            f"{name:<16}{len(y.dropna()):>5}{r['seasonLength']:>4}{r['horizon']:>4}  {r['mase']:>6.3f} "
            f"{r['maseSeasonalNaive']:>6.3f} {r['relativeMase']:>6.3f}  {r['coverage80']:>6.2f} "
            f"{r['coverage90']:>6.2f}  {r['fitSeconds']:>6.2f}  {methods}"
        )
    mase = float(np.mean([r["mase"] for r in rows]))
    base = float(np.mean([r["maseSeasonalNaive"] for r in rows]))
    geo = float(np.exp(np.mean(np.log([r["relativeMase"] for r in rows]))))
    cov90 = float(np.mean([r["coverage90"] for r in rows]))
    print(
        f"{'mean':<29}  {mase:>6.3f} {base:>6.3f} {mase / base:>6.3f}  (geometric mean of rel. MASE "
        f"{geo:.3f}; 90% coverage {cov90:.2f})"
    )
    return mase, base


def synthetic_daily() -> dict[str, pd.Series]:
    h = generate_sales(n_skus=8, days=730, seed=5, intermittent_share=0.3, new_share=0.0)
    out = {}
    for sku in h.skus:
        kind = "slow" if h.truth[sku].intermittent else "daily"
        out[f"{sku}-{kind}"] = h.series(sku).iloc[-365:]
    return out


def _naive_per_sku(frame: pd.DataFrame) -> dict[str, float]:
    out = {}
    for sku, g in frame[frame.units > 0].groupby("product_id"):
        x, y = np.log(g.price.to_numpy()), np.log(g.units.to_numpy())
        out[sku] = float(np.polyfit(x, y, 1)[0]) if np.ptp(x) > 0 else float("nan")
    return out


def _naive_pooled(frame: pd.DataFrame) -> float:
    f = frame[frame.units > 0]
    return float(np.polyfit(np.log(f.price.to_numpy()), np.log(f.units.to_numpy()), 1)[0])


def elasticity_synthetic(seeds: tuple[int, ...] = (0, 1, 2)) -> None:
    print("\nElasticity recovery on synthetic sales (24 skus x 730 days per seed, known truth)")
    err, naive_err, inside, sign, naive_sign, n = [], [], 0, 0, 0, 0
    pooled = []
    for seed in seeds:
        h = generate_sales(seed=seed)
        frame = h.to_frame()
        start = time.perf_counter()
        dm = pricing.fit_demand(frame)
        seconds = time.perf_counter() - start
        naive = _naive_per_sku(frame)
        pooled.append(
            (_naive_pooled(frame), dm.elasticity(), float(np.mean([t.elasticity for t in h.truth.values()])))
        )
        for sku, truth in h.truth.items():
            lo, hi = dm.elasticity_interval(sku)
            est = dm.elasticity(sku)
            n += 1
            inside += lo <= truth.elasticity <= hi
            sign += est < 0
            err.append(abs(est - truth.elasticity))
            nv = naive.get(sku, float("nan"))
            naive_err.append(abs(nv - truth.elasticity) if np.isfinite(nv) else np.nan)
            naive_sign += bool(np.isfinite(nv) and nv < 0)
        print(f"  seed {seed}: fit {seconds:.2f} s, {len(h.truth)} skus")
    print(
        f"  fit_demand: 90% interval covers the truth {inside}/{n} ({inside / n:.0%}); mean |error| "
        f"{np.mean(err):.3f}; negative {sign}/{n}"
    )
    print(
        f"  naive per-sku log-log OLS (no controls, no pooling): mean |error| {np.nanmean(naive_err):.3f}; "
        f"negative {naive_sign}/{n}"
    )
    for naive_p, ours_p, true_mean in pooled:
        print(
            f"  pooled elasticity: fit_demand {ours_p:.2f} vs naive pooled OLS {naive_p:.2f}"
            f" (true mean {true_mean:.2f})"
        )


def elasticity_orange_juice() -> None:
    print(
        "\nDominick's orangeJuice (106,139 store x brand x week rows;"
        " product = store x brand, category = brand)"
    )
    try:
        oj = orange_juice()
    except RuntimeError as exc:
        print(f"  skipped: {exc}")
        return
    start = time.perf_counter()
    dm = pricing.fit_demand(oj, season_period=52)
    seconds = time.perf_counter() - start
    own = dm.beta_own[np.isfinite(dm.beta_own)]
    print(
        f"  fit {seconds:.2f} s; {len(dm.products)} store-brand products; controls {', '.join(dm.spec.names)}"
    )
    print(
        f"  store-brand elasticities negative: pooled {np.mean(dm.beta < 0):.1%},"
        f" own estimates {np.mean(own < 0):.1%}"
    )
    print(f"  {'brand':<8}{'fit_demand':>11}{'90% interval':>18}{'naive OLS':>11}")
    for b in range(1, 12):
        cat = f"brand{b}"
        prior = dm.category_priors[cat]
        half = 1.645 * np.sqrt(prior.mu_var)
        naive = _naive_pooled(oj[oj.category == cat])
        print(f"  {cat:<8}{prior.mu:>11.2f}   [{prior.mu - half:6.2f}, {prior.mu + half:6.2f}]{naive:>11.2f}")
    print(f"  all brands: fit_demand pooled {dm.elasticity():.2f}; naive pooled OLS {_naive_pooled(oj):.2f}")


def profit(seeds: tuple[int, ...]) -> None:
    print("\nProfit simulation (known demand; 8 weekly decisions, max step 10%, min margin 10%)")
    ratios = []
    for days in (730, 365):
        for seed in seeds:
            start = time.perf_counter()
            r = simulate(seed=seed, days=days)
            ratios.append((days, r.uplift_ratio))
            print(
                f"  history {days} d, seed {seed}: {r.skus} skus; uplift vs current: ours "
                f"{r.profit_ours / r.profit_current - 1:+.2%},"
                f" oracle {r.profit_oracle / r.profit_current - 1:+.2%}"
                f" -> {r.uplift_ratio:.0%} of the oracle's uplift ({time.perf_counter() - start:.1f} s)"
            )
    for days in (730, 365):
        vals = [v for d, v in ratios if d == days]
        print(f"  mean share of the oracle's uplift, {days}-day history: {np.mean(vals):.0%}")


def main() -> None:
    warnings.filterwarnings("ignore")  # statsforecast/ARIMA convergence chatter
    quick = "--quick" in sys.argv
    only = next((a.split("=", 1)[1] for a in sys.argv if a.startswith("--only=")), "")
    start = time.perf_counter()
    if only != "pricing":
        forecasts(quick)
    if only != "forecast":
        if not quick:
            elasticity_synthetic()
            elasticity_orange_juice()
        profit((11,) if quick else (11, 12, 13, 14, 15))
    print(f"\ntotal {time.perf_counter() - start:.0f} s")


def forecasts(quick: bool) -> None:
    mase, base = forecast_table(
        contract_series(),
        f"Forecasts: the four ML.md series (rolling origin, {WINDOWS} origins {STEP} apart)",
    )
    print(
        f"target: mean MASE >= 25% below seasonal naive -> {1 - mase / base:.1%} below: "
        f"{'MET' if mase <= 0.75 * base else 'NOT MET'}"
    )
    if not quick:
        forecast_table(other_series(), "Forecasts: other public series (not used to choose defaults)")
        forecast_table(
            synthetic_daily(), "Forecasts: synthetic daily skus (last 365 days; slow = intermittent)"
        )


if __name__ == "__main__":
    main()
