"""Demand forecasting and reorder advice. Entry points (docs/forecasting-pricing.md):

    from models import forecast
    fc = forecast.fit(y, season_length=None)      # pandas Series on a regular Datetime/PeriodIndex
    fc.predict(h) -> ndarray (h,)
    fc.interval(h, level=0.9) -> (lower, upper)
    fc.std(h) -> ndarray (h,)                      # calibrated per-step spread (for safety stock)
    fc.summary() -> dict                           # method, backtest scores, calibration

    forecast.reorder_advice(fc, lead_time=7, service_level=0.95, on_hand=40)   # pure maths

fit() loads statsforecast (and pandas) when called; importing this package loads numpy only,
and models.forecast.reorder (the inventory maths) is numpy + stdlib: safe on request paths.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.forecast.reorder import (
    ReorderAdvice,
    economic_order_quantity,
    lead_time_demand,
    reorder_advice,
    reorder_point,
    safety_stock,
)

if TYPE_CHECKING:
    from models.forecast.model import Forecaster

__all__ = [
    "ReorderAdvice",
    "economic_order_quantity",
    "evaluate",
    "fit",
    "lead_time_demand",
    "reorder_advice",
    "reorder_point",
    "safety_stock",
]


def fit(
    y: Any,
    season_length: int | None = None,
    *,
    horizon: int | None = None,
    methods: tuple[str, ...] | None = None,
) -> Forecaster:
    """Fit one series: the method with the best rolling-origin backtest among the candidates.

    y: pandas Series on a regular DatetimeIndex/PeriodIndex (or an array with season_length).
    season_length: inferred from the frequency when None (daily 7, weekly 52, monthly 12,
    quarterly 4). horizon: the backtest horizon (default by season: 14 days, 13 weeks, 12 months,
    8 quarters). methods: restrict the candidates (names in models.forecast.candidates).
    Wrong input (not numbers, fewer than 3 observations, irregular dates) -> ValueError.
    """
    from models.forecast.model import fit_series
    from models.forecast.series import prepare

    return fit_series(prepare(y, season_length), horizon=horizon, methods=methods)


def evaluate(
    y: Any,
    season_length: int | None = None,
    *,
    horizon: int | None = None,
    windows: int = 3,
    step: int | None = None,
) -> dict[str, Any]:
    """Rolling-origin MASE of fit() vs seasonal naive on held-out ends of y (models.forecast.evaluation)."""
    from models.forecast.evaluation import evaluate_series

    return evaluate_series(y, season_length, horizon=horizon, windows=windows, step=step)
