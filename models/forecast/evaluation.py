"""Held-out evaluation of `forecast.fit` on any series: rolling origins at the end of the data.

At each origin the whole fit (including its own internal backtest and method choice) sees only
the data before the origin; the next `horizon` points are scored. MASE uses the in-sample
seasonal-naive error of that training data as its scale, so MASE(seasonal naive) is the baseline
measured on exactly the same points. Coverage: share of held-out points inside the 80% / 90%
intervals.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from models.forecast.model import fit_series
from models.forecast.selection import default_horizon, scale
from models.forecast.series import Series, prepare


def eval_origins(n: int, horizon: int, windows: int, step: int) -> list[int]:
    return sorted(n - horizon - k * step for k in range(windows) if n - horizon - k * step >= 8)


def evaluate_series(
    y: Any,
    season_length: int | None = None,
    *,
    horizon: int | None = None,
    windows: int = 3,
    step: int | None = None,
    methods: tuple[str, ...] | None = None,
) -> dict[str, Any]:
    full = prepare(y, season_length)
    m = full.season_length
    h = int(horizon or default_horizon(m))
    step = int(step or h)
    values = full.values
    rows = []
    for t in eval_origins(len(values), h, windows, step):
        train, actual = values[:t], values[t : t + h]
        series = Series(values=train, season_length=m, freq=None, last=None, interpolated=0)
        start = time.perf_counter()
        fc = fit_series(series, methods=methods)
        mean = fc.predict(h)
        lo80, hi80 = fc.interval(h, 0.8)
        lo90, hi90 = fc.interval(h, 0.9)
        seconds = time.perf_counter() - start
        lag = m if len(train) > m else 1
        snaive = np.array([train[len(train) - lag + (i % lag)] for i in range(h)])
        s = scale(train, m)
        rows.append(
            {
                "origin": t,
                "method": fc.method,
                "mase": float(np.mean(np.abs(actual - mean)) / s),
                "maseSeasonalNaive": float(np.mean(np.abs(actual - snaive)) / s),
                "coverage80": float(np.mean((actual >= lo80) & (actual <= hi80))),
                "coverage90": float(np.mean((actual >= lo90) & (actual <= hi90))),
                "fitSeconds": seconds,
            }
        )
    if not rows:
        raise ValueError("series too short for a held-out evaluation at this horizon")
    mase, base = (
        float(np.mean([r["mase"] for r in rows])),
        float(np.mean([r["maseSeasonalNaive"] for r in rows])),
    )
    return {
        "seasonLength": m,
        "horizon": h,
        "origins": [r["origin"] for r in rows],
        "mase": mase,
        "maseSeasonalNaive": base,
        "relativeMase": mase / base if base > 0 else float("nan"),
        "coverage80": float(np.mean([r["coverage80"] for r in rows])),
        "coverage90": float(np.mean([r["coverage90"] for r in rows])),
        "fitSeconds": float(np.mean([r["fitSeconds"] for r in rows])),
        "methods": [r["method"] for r in rows],
    }
