"""The candidate methods (statsforecast) and how each yields a mean and a per-step spread.

Regular series: seasonal naive (also the baseline), AutoETS, AutoARIMA (a restricted stepwise
search: p, q <= 2, P, Q <= 1, approximate likelihood for the search -- the full search is 3-5x
slower here for the same accuracy on these series), AutoTheta, and "combo", the mean of ETS, ARIMA
and Theta (forecast combinations are the robust default of the M3/M4 competitions).
Slow movers: Croston SBA, TSB, ADIDA and IMAPA.

sigma: the model's own forecast standard deviation, read off its 80% interval; for the
intermittent methods (no intervals), the standard deviation of the recent demand around the
forecast. Either way the spread is calibrated afterwards on backtest errors (models.forecast.selection).
"""

from __future__ import annotations

import warnings
from statistics import NormalDist
from typing import Any

import numpy as np

REGULAR = ("snaive", "ets", "arima", "theta", "combo")
INTERMITTENT = ("croston_sba", "tsb", "adida", "imapa")
Z80 = NormalDist().inv_cdf(0.9)
MAX_ETS_SEASON = 24  # ETS/ARIMA seasonal states beyond this are slow and unstable (R's forecast agrees)


def _season(m: int, n: int, cap: int | None = None) -> int:
    """The season a model can use on n points: none when there are fewer than two full seasons."""
    if m <= 1 or n < 2 * m + 2 or (cap is not None and m > cap):
        return 1
    return m


def build(name: str, m: int, n: int) -> Any:
    from statsforecast import models as sf

    if name == "snaive":
        return sf.SeasonalNaive(season_length=m) if m > 1 and n > m else sf.Naive()
    if name == "ets":
        return sf.AutoETS(season_length=_season(m, n, MAX_ETS_SEASON))
    if name == "arima":
        return sf.AutoARIMA(
            season_length=_season(m, n, MAX_ETS_SEASON),
            max_p=2,
            max_q=2,
            max_P=1,
            max_Q=1,
            approximation=True,
        )
    if name == "theta":
        return sf.AutoTheta(season_length=_season(m, n))
    if name == "croston_sba":
        return sf.CrostonSBA()
    if name == "tsb":
        return sf.TSB(alpha_d=0.1, alpha_p=0.1)
    if name == "adida":
        return sf.ADIDA()
    if name == "imapa":
        return sf.IMAPA()
    raise ValueError(f"unknown forecasting method {name!r}")


def _recent_sd(y: np.ndarray, mean: np.ndarray) -> np.ndarray:
    recent = y[-min(len(y), 56) :]
    return np.full(len(mean), float(np.sqrt(np.mean((recent - np.mean(mean)) ** 2))))


def _from_output(name: str, y: np.ndarray, out: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    mean = np.asarray(out["mean"], dtype=float)
    if "lo-80" in out:
        sigma = (np.asarray(out["hi-80"]) - np.asarray(out["lo-80"])) / (2 * Z80)
    else:
        sigma = _recent_sd(y, mean)
    return mean, np.abs(np.asarray(sigma, dtype=float))


COMBO_PARTS = ("ets", "arima", "theta")


def parts(name: str) -> tuple[str, ...]:
    return COMBO_PARTS if name == "combo" else (name,)


def combine(outputs: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """The combo's mean is the members' mean; its spread the mean of theirs (member errors are
    strongly correlated, so that is close to the spread of the mean, and calibrated anyway)."""
    mean = np.mean([m for m, _ in outputs], axis=0)
    sigma = np.mean([s for _, s in outputs], axis=0)
    return mean, sigma


class Fitted:
    """One method fitted on a series; `forecast(h)` -> (mean, sigma), any horizon, no refit."""

    def __init__(self, name: str, y: np.ndarray, m: int):
        self.name, self.y, self.m = name, y, m
        self.models = []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for part in parts(name):
                model = build(part, m, len(y))
                model.fit(y)
                self.models.append((part, model))

    def forecast(self, h: int) -> tuple[np.ndarray, np.ndarray]:
        means, sigmas = [], []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for part, model in self.models:
                level = None if part in INTERMITTENT else [80]
                out = model.predict(h, level=level) if level else model.predict(h)
                mean, sigma = _from_output(part, self.y, out)
                means.append(mean)
                sigmas.append(sigma)
        mean, sigma = combine(list(zip(means, sigmas, strict=True)))
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sigma))):
            raise FloatingPointError(f"{self.name} produced a non-finite forecast")
        return mean, sigma
