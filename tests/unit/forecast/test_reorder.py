"""Reorder maths: monotone in lead time and service level, exact in the simple cases."""

from __future__ import annotations

import itertools
import math
from statistics import NormalDist

import numpy as np
import pytest

from models import forecast
from models.forecast.reorder import lead_time_demand, reorder_advice


class FlatForecast:
    """A forecast with a known daily mean and spread (the input reorder maths works from)."""

    def __init__(self, mean: float, sd: float):
        self.mean, self.sd = mean, sd

    def predict(self, horizon: int) -> np.ndarray:
        return np.full(horizon, self.mean)

    def std(self, horizon: int) -> np.ndarray:
        return np.full(horizon, self.sd)


def test_reorder_point_rises_with_lead_time_and_service_level() -> None:
    fc = FlatForecast(10.0, 3.0)
    by_lead = [reorder_advice(fc, lead_time=lt, service_level=0.95).reorder_point for lt in (1, 2, 5, 10, 20)]
    assert all(a < b for a, b in itertools.pairwise(by_lead))
    by_level = [
        reorder_advice(fc, lead_time=7, service_level=s).reorder_point for s in (0.5, 0.8, 0.9, 0.95, 0.99)
    ]
    assert all(a < b for a, b in itertools.pairwise(by_level))


def test_reorder_point_rises_with_lead_time_on_a_fitted_forecast() -> None:
    rng = np.random.default_rng(3)
    import pandas as pd

    y = pd.Series(
        rng.poisson(12, 120).astype(float), index=pd.date_range("2024-01-01", periods=120, freq="D")
    )
    fc = forecast.fit(y, methods=("snaive", "theta"))
    rops = [forecast.reorder_advice(fc, lead_time=lt, service_level=0.95).reorder_point for lt in (2, 7, 14)]
    assert rops[0] < rops[1] < rops[2]


def test_safety_stock_is_z_times_sqrt_lead_time_sigma() -> None:
    adv = reorder_advice(FlatForecast(10.0, 3.0), lead_time=4, service_level=0.95)
    z = NormalDist().inv_cdf(0.95)
    assert adv.demand_mean == pytest.approx(40.0)
    assert adv.safety_stock == pytest.approx(z * 3.0 * 2.0)
    assert adv.reorder_point == pytest.approx(40.0 + z * 6.0)


def test_lead_time_variability_and_fractional_days() -> None:
    mean, sd = lead_time_demand(np.full(5, 10.0), np.full(5, 2.0), 2.5)
    assert mean == pytest.approx(25.0) and sd == pytest.approx(math.sqrt(2.5 * 4))
    _, sd_var = lead_time_demand(np.full(5, 10.0), np.full(5, 2.0), 2.5, lead_time_sd=1.0)
    assert sd_var == pytest.approx(math.sqrt(2.5 * 4 + 100))


def test_order_quantity_up_to_level_pack_size_and_no_order_above_rop() -> None:
    fc = FlatForecast(10.0, 0.0)
    adv = reorder_advice(fc, lead_time=3, service_level=0.9, on_hand=5, cycle_days=7, pack_size=12)
    assert (
        adv.reorder and adv.reorder_point == pytest.approx(30.0) and adv.order_up_to == pytest.approx(100.0)
    )
    assert adv.order_quantity == 96  # 95 needed, rounded up to 8 packs of 12
    held = reorder_advice(fc, lead_time=3, service_level=0.9, on_hand=20, on_order=20)
    assert not held.reorder and held.order_quantity == 0
    eoq = reorder_advice(fc, lead_time=3, on_hand=0, order_cost=50.0, holding_cost_per_unit_year=2.0)
    assert eoq.order_up_to - eoq.reorder_point == pytest.approx(math.sqrt(2 * 3650 * 50 / 2))
    assert forecast.economic_order_quantity(1000, 50, 2) == pytest.approx(math.sqrt(50_000))


@pytest.mark.parametrize(
    "kwargs", [{"service_level": 1.0}, {"service_level": 0.3}, {"lead_time": -1}, {"pack_size": 0}]
)
def test_bad_parameters_are_value_errors(kwargs: dict) -> None:
    args = {"lead_time": 3.0, "service_level": 0.95, **kwargs}
    with pytest.raises(ValueError):
        reorder_advice(FlatForecast(1.0, 1.0), **args)
