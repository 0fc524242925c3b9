"""The fitted forecaster: point forecasts, calibrated spread and intervals, lead-time demand."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from models.forecast.candidates import INTERMITTENT, REGULAR, Fitted
from models.forecast.selection import Backtest, calibration, default_horizon, run
from models.forecast.series import Series

# Syntetos-Boylan: mean interval between non-zero demands above 1.32 = intermittent demand
INTERMITTENT_ADI = 1.32
STD_LEVEL = 0.9  # std() is calibrated so a normal 90% interval covers 90% of backtest errors
MAX_HORIZON = 3660


@dataclass
class Forecaster:
    method: str
    season_length: int
    intermittent: bool
    series: Series
    backtest: Backtest | None
    _fitted: Fitted | None = field(default=None, repr=False)
    _cache: tuple[np.ndarray, np.ndarray] | None = field(default=None, repr=False)

    # ---- the ML.md contract -------------------------------------------------------------------
    def predict(self, horizon: int) -> np.ndarray:
        return self._mean_sigma(horizon)[0].copy()

    def interval(self, horizon: int, level: float = 0.9) -> tuple[np.ndarray, np.ndarray]:
        if not 0 < level < 1:
            raise ValueError("level must be between 0 and 1 (e.g. 0.9)")
        mean, sigma = self._mean_sigma(horizon)
        half = NormalDist().inv_cdf(0.5 + level / 2) * self._calibration(level) * sigma
        lower, upper = mean - half, mean + half
        if self.series.nonnegative:
            lower = np.maximum(lower, 0.0)
        return lower, upper

    # ---- for inventory maths and reporting ----------------------------------------------------
    def std(self, horizon: int) -> np.ndarray:
        """Calibrated forecast standard deviation per step."""
        return self._calibration(STD_LEVEL) * self._mean_sigma(horizon)[1]

    def dates(self, horizon: int) -> Any:
        """The forecast's future index (pandas), or None when the input had no time index."""
        if self.series.last is None or self.series.freq is None:
            return None
        import pandas as pd

        if isinstance(self.series.last, pd.Period):
            return pd.period_range(self.series.last + 1, periods=horizon, freq=self.series.freq)
        return pd.date_range(self.series.last, periods=horizon + 1, freq=self.series.freq)[1:]

    def summary(self) -> dict[str, Any]:
        bt = self.backtest
        return {
            "method": self.method,
            "seasonLength": self.season_length,
            "intermittent": self.intermittent,
            "observations": len(self.series.values),
            "interpolated": self.series.interpolated,
            "backtest": None
            if bt is None
            else {
                "horizon": bt.horizon,
                "origins": bt.origins,
                "scores": bt.scores,
                "metric": "RMSSE" if self.intermittent else "MASE",
            },
            "calibration90": self._calibration(0.9),
        }

    def _calibration(self, level: float) -> float:
        if self.backtest is None or self.method not in self.backtest.z:
            return calibration(np.zeros(0), level)
        return calibration(self.backtest.z[self.method], level)

    def _mean_sigma(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        if isinstance(horizon, bool) or int(horizon) != horizon or not 1 <= horizon <= MAX_HORIZON:
            raise ValueError(f"horizon must be an integer in 1..{MAX_HORIZON}")
        horizon = int(horizon)
        if self._cache is None or len(self._cache[0]) < horizon:
            self._cache = self._compute(max(horizon, default_horizon(self.season_length)))
        mean, sigma = self._cache
        return mean[:horizon], sigma[:horizon]

    def _compute(self, horizon: int) -> tuple[np.ndarray, np.ndarray]:
        y = self.series.values
        if self._fitted is None:  # constant series
            return np.full(horizon, y[-1]), np.zeros(horizon)
        mean, sigma = self._fitted.forecast(horizon)
        if self.series.nonnegative:
            mean = np.maximum(mean, 0.0)
        return mean, sigma


def is_intermittent(y: np.ndarray) -> bool:
    nonzero = int(np.count_nonzero(y))
    return bool(np.all(y >= 0)) and (nonzero == 0 or len(y) / nonzero >= INTERMITTENT_ADI)


def fit_series(
    series: Series, *, horizon: int | None = None, methods: tuple[str, ...] | None = None
) -> Forecaster:
    y, m = series.values, series.season_length
    if float(np.ptp(y)) == 0.0:
        return Forecaster("constant", m, False, series, None)
    intermittent = is_intermittent(y)
    if methods is None:
        methods = INTERMITTENT if intermittent else REGULAR
    unknown = set(methods) - set(REGULAR) - set(INTERMITTENT)
    if unknown:
        raise ValueError(f"unknown method(s) {', '.join(sorted(unknown))}")
    h = int(horizon) if horizon else default_horizon(m)
    h = max(1, min(h, len(y) // 4))
    bt = run(y, m, tuple(methods), h, intermittent)
    order = sorted(bt.scores, key=lambda k: (bt.scores[k], k != "snaive")) if bt.scores else []
    # too short for any backtest window: a simple method that fits anything
    order = [k for k in order if math.isfinite(bt.scores[k])] or (
        ["croston_sba"] if intermittent else ["ets", "snaive"]
    )
    last_error: Exception | None = None
    for name in order:
        try:
            return Forecaster(name, m, intermittent, series, bt if bt.origins else None, Fitted(name, y, m))
        except Exception as exc:  # e.g. ETS on 4 points: fall through to the next method
            last_error = exc
    raise ValueError(f"no forecasting method could fit this series: {last_error}")
