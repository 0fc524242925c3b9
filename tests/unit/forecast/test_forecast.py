"""forecast.fit on planted series: beats seasonal naive, handles slow movers, short and constant
series, infers the season, and refuses wrong input with a clear ValueError."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import forecast
from models.forecast.series import prepare


def planted_monthly(n: int = 96, seed: int = 0) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 100 + 1.5 * t + 20 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 3, n)
    return pd.Series(y, index=pd.period_range("2015-01", periods=n, freq="M"))


@pytest.mark.slow  # the full default candidate set, backtest included: ~5 s on a quiet 2-core VM
def test_beats_seasonal_naive_on_trend_and_season() -> None:
    y = planted_monthly(72)
    train, test = y.iloc[:-12], y.iloc[-12:].to_numpy()
    fc = forecast.fit(train)
    snaive = train.to_numpy()[-12:]  # seasonal naive: the same month last year
    mae, mae_naive = np.mean(np.abs(fc.predict(12) - test)), np.mean(np.abs(snaive - test))
    assert fc.season_length == 12
    assert fc.method != "snaive"
    assert mae < 0.5 * mae_naive  # the trend alone costs the naive 18 units a month
    lo, hi = fc.interval(12, level=0.9)
    assert np.all(lo <= fc.predict(12)) and np.all(fc.predict(12) <= hi)
    assert np.mean((test >= lo) & (test <= hi)) >= 0.75
    lo80, hi80 = fc.interval(12, level=0.8)
    assert np.all(hi80 - lo80 < hi - lo)
    summary = fc.summary()
    assert summary["backtest"]["scores"]["snaive"] > summary["backtest"]["scores"][fc.method]


def test_intermittent_demand_gets_a_slow_mover_method() -> None:
    rng = np.random.default_rng(1)
    units = rng.poisson(0.3, 200).astype(float)  # ~74% zero days
    y = pd.Series(units, index=pd.date_range("2024-01-01", periods=200, freq="D"))
    fc = forecast.fit(y)
    assert fc.intermittent and fc.method in {"croston_sba", "tsb", "adida", "imapa"}
    mean = fc.predict(14)
    assert np.all(mean >= 0) and abs(float(mean.mean()) - 0.3) < 0.2
    lo, hi = fc.interval(14)
    assert np.all(lo >= 0) and np.all(hi > mean)
    assert np.all(fc.std(14) > 0)


def test_constant_and_short_series_do_not_crash() -> None:
    flat = pd.Series([4.0] * 30, index=pd.date_range("2024-01-01", periods=30, freq="D"))
    fc = forecast.fit(flat)
    assert fc.method == "constant"
    assert np.allclose(fc.predict(5), 4.0)
    lo, hi = fc.interval(5)
    assert np.allclose(lo, 4.0) and np.allclose(hi, 4.0)
    short = pd.Series([3.0, 5.0, 4.0, 6.0, 5.0], index=pd.date_range("2024-01-01", periods=5, freq="D"))
    fc = forecast.fit(short)
    mean = fc.predict(3)
    assert mean.shape == (3,) and np.all(np.isfinite(mean))
    lo, hi = fc.interval(3)
    assert np.all(lo <= hi)


@pytest.mark.parametrize(
    ("freq", "periods", "season"),
    [("D", 30, 7), ("W", 30, 52), ("MS", 30, 12), ("QS", 30, 4), ("B", 30, 5)],
)
def test_season_length_inferred_from_frequency(freq: str, periods: int, season: int) -> None:
    y = pd.Series(
        np.arange(periods, dtype=float), index=pd.date_range("2020-01-01", periods=periods, freq=freq)
    )
    assert prepare(y, None).season_length == season
    yp = pd.Series(np.arange(12.0), index=pd.period_range("2020-01", periods=12, freq="M"))
    assert prepare(yp, None).season_length == 12


def test_missing_values_inside_are_interpolated_and_ends_dropped() -> None:
    v = np.array([np.nan, 1.0, 2.0, np.nan, 4.0, 5.0, np.nan])
    s = prepare(pd.Series(v, index=pd.date_range("2024-01-01", periods=7, freq="D")), None)
    assert s.values.tolist() == [1.0, 2.0, 3.0, 4.0, 5.0] and s.interpolated == 1


@pytest.mark.parametrize(
    ("y", "match"),
    [
        (pd.Series([1.0, 2.0], index=pd.date_range("2024-01-01", periods=2)), "at least 3"),
        (
            pd.Series(
                [1.0, 2.0, 3.0, 4.0],
                index=pd.DatetimeIndex(["2024-01-01", "2024-01-02", "2024-01-05", "2024-01-11"]),
            ),
            "regularly spaced",
        ),
        (pd.Series(["a", "b", "c"], index=pd.date_range("2024-01-01", periods=3)), "numbers"),
        (pd.Series([1.0, np.inf, 3.0], index=pd.date_range("2024-01-01", periods=3)), "infinite"),
        (pd.Series([1.0, 2.0, 3.0, 4.0]), "DatetimeIndex"),
        (np.array([1.0, 2.0, 3.0, 4.0]), "season_length"),
    ],
)
def test_wrong_input_is_a_clear_value_error(y: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        forecast.fit(y)


def test_bad_horizon_and_level_are_value_errors() -> None:
    fc = forecast.fit(
        np.array([1.0, 2.0, 3.0, 2.0, 1.0, 2.0, 3.0, 2.0]), season_length=4, methods=("snaive",)
    )
    with pytest.raises(ValueError, match="horizon"):
        fc.predict(0)
    with pytest.raises(ValueError, match="level"):
        fc.interval(3, level=1.5)
    with pytest.raises(ValueError, match="unknown method"):
        forecast.fit(np.arange(10.0), season_length=1, methods=("prophet",))
