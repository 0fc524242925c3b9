"""Price recommendation: guardrails never violated (property test), and the profit logic."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from models.pricing import Guardrails, recommend_price

EPS = 1e-9


def constant_elasticity(base_units: float, ref_price: float, e: float):  # type: ignore[no-untyped-def]
    return lambda p: base_units * (np.asarray(p, dtype=float) / ref_price) ** e


@st.composite
def cases(draw):  # type: ignore[no-untyped-def]
    cost = draw(st.floats(0.2, 200))
    current = cost * draw(st.floats(0.6, 4.0))
    lo_obs = current * draw(st.floats(0.5, 1.2))
    hi_obs = lo_obs * draw(st.floats(1.0, 2.0))
    e = draw(st.floats(-5.0, 0.5))
    width = draw(st.floats(0.0, 1.5))
    optional = st.none() | st.floats(0.1, 3.0)
    g = Guardrails(
        min_margin=draw(st.floats(0.0, 0.6)),
        max_step=draw(st.floats(0.01, 0.5)),
        map_price=None if (m := draw(optional)) is None else current * m,
        min_price=None if (m := draw(optional)) is None else current * m,
        max_price=None if (m := draw(optional)) is None else current * m,
        competitor_price=None if (m := draw(optional)) is None else current * m,
        competitor_band=(draw(st.floats(0.5, 1.0)), draw(st.floats(1.0, 1.5))),
    )
    return cost, current, (lo_obs, hi_obs), e, (e - width, e + width), g


@settings(max_examples=200, deadline=None)
@given(cases())
def test_guardrails_are_never_violated(case) -> None:  # type: ignore[no-untyped-def]
    cost, current, observed, e, interval, g = case
    rec = recommend_price(
        current_price=current,
        unit_cost=cost,
        demand=constant_elasticity(50, current, e),
        elasticity=e,
        elasticity_interval=interval,
        observed_range=observed,
        guardrails=g,
    )
    if not rec.feasible:
        assert rec.price == current and rec.reason  # nothing changes; a person decides
        lows = [lo for lo, _ in rec.bounds.values() if lo is not None]
        highs = [hi for _, hi in rec.bounds.values() if hi is not None]
        assert math.ceil(max(lows) / 0.01 - EPS) > math.floor(min(highs) / 0.01 + EPS)  # truly no cent price
        return
    p = rec.price
    assert p >= cost / (1 - g.min_margin) - EPS  # margin
    assert abs(p - current) <= g.max_step * current + EPS  # step
    if g.map_price is not None:
        assert p >= g.map_price - EPS
    if g.min_price is not None:
        assert p >= g.min_price - EPS
    if g.max_price is not None:
        assert p <= g.max_price + EPS
    if g.competitor_price is not None:
        lo, hi = g.competitor_band
        assert lo * g.competitor_price - EPS <= p <= hi * g.competitor_price + EPS
    ext = g.max_step
    assert p >= observed[0] * (1 - ext) - EPS  # support: no extrapolation beyond a step
    assert p <= (observed[1] if interval[1] >= -1 else observed[1] * (1 + ext)) + EPS
    assert abs(round(p * 100) - p * 100) < 1e-6 or p == current  # cents
    assert rec.expected_profit >= rec.current_expected_profit - 1e-9 or not (
        rec.lower <= current <= rec.upper
    )


def test_moves_toward_the_profit_maximizing_price() -> None:
    cost, e = 10.0, -2.0  # optimum: cost * e / (1 + e) = 20
    demand = constant_elasticity(100, 15, e)
    args = dict(
        unit_cost=cost,
        demand=demand,
        elasticity=e,
        elasticity_interval=(-2.3, -1.7),
        observed_range=(12.0, 24.0),
    )
    up = recommend_price(current_price=15.0, guardrails=Guardrails(max_step=0.1), **args)
    assert up.price == pytest.approx(16.5) and "step" in up.binding
    assert up.expected_profit > up.current_expected_profit
    free = recommend_price(current_price=19.0, guardrails=Guardrails(max_step=0.5), **args)
    assert free.price == pytest.approx(20.0, abs=0.02) and free.binding == ()
    down = recommend_price(current_price=23.0, guardrails=Guardrails(max_step=0.5), **args)
    assert down.price == pytest.approx(20.0, abs=0.02)


def test_inelastic_interval_never_raises_beyond_what_the_data_saw() -> None:
    # with elasticity -0.5 profit rises with price forever: the support bound stops it
    rec = recommend_price(
        current_price=10.0,
        unit_cost=5.0,
        demand=constant_elasticity(100, 10, -0.5),
        elasticity=-0.5,
        elasticity_interval=(-0.9, -0.1),
        observed_range=(8.0, 10.5),
        guardrails=Guardrails(max_step=0.2),
    )
    assert rec.price == pytest.approx(10.5) and "support" in rec.binding
    # an interval that only reaches -1 also caps at the observed maximum
    rec = recommend_price(
        current_price=10.0,
        unit_cost=5.0,
        demand=constant_elasticity(100, 10, -1.2),
        elasticity=-1.2,
        elasticity_interval=(-1.6, -0.8),
        observed_range=(8.0, 10.5),
        guardrails=Guardrails(max_step=0.2),
    )
    assert rec.price <= 10.5


def test_conflicting_bounds_leave_the_price_unchanged() -> None:
    # cost went up: the margin floor (11.11) is above the competitor ceiling (10.8)
    rec = recommend_price(
        current_price=9.0,
        unit_cost=10.0,
        demand=constant_elasticity(10, 9, -2),
        elasticity=-2,
        elasticity_interval=(-2.5, -1.5),
        observed_range=(8.0, 10.0),
        guardrails=Guardrails(competitor_price=9.0, competitor_band=(0.8, 1.2)),
    )
    assert not rec.feasible and rec.price == 9.0 and "margin" in rec.reason


@pytest.mark.parametrize(
    "kwargs", [{"current_price": 0.0}, {"unit_cost": -1.0}, {"observed_range": (5.0, 4.0)}]
)
def test_bad_inputs_are_value_errors(kwargs: dict) -> None:
    args = dict(
        current_price=10.0,
        unit_cost=5.0,
        demand=constant_elasticity(1, 10, -2),
        elasticity=-2.0,
        elasticity_interval=(-2.5, -1.5),
        observed_range=(8.0, 12.0),
    )
    with pytest.raises(ValueError):
        recommend_price(**{**args, **kwargs})
    with pytest.raises(ValueError):
        Guardrails(min_margin=1.0)
    with pytest.raises(ValueError):
        Guardrails(map_price=-3.0)
