"""Profit-maximizing price within guardrails (pure numpy + stdlib: safe on request paths).

    maximize (price - unit_cost) * expected_units(price)   over a cent grid in [lower, upper]

where [lower, upper] is the intersection of every bound that applies (each reported by name):

- margin:     price >= unit_cost / (1 - min_margin)         (min_margin = (price - cost) / price)
- step:       |price - current| <= max_step * current       (one change at a time, both ways)
- map:        price >= map_price                            (minimum advertised price)
- explicit:   min_price <= price <= max_price
- competitor: competitor_band[0] * cp <= price <= competitor_band[1] * cp
- support:    observed price range widened by `extrapolation` (default: one max_step) on each
              side -- the demand curve is not extrapolated further than that. When the
              elasticity interval reaches -1 or above (profit may keep rising with price, i.e.
              the data cannot rule out an inelastic product), the upper side is the observed
              maximum itself: no price increase beyond anything the data saw.

If the bounds leave no cent price (e.g. the margin floor is above the competitor ceiling, or the
current price is more than a step outside the support), nothing changes: the current price comes
back with feasible=False and the reason, for a person to decide. Among prices of equal expected
profit the one closest to the current price wins (no churn for nothing), and the current price
stays unless a candidate beats its expected profit by at least `min_gain` (relative).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

TICK = 0.01
GRID = 201


@dataclass(frozen=True)
class Guardrails:
    min_margin: float = 0.10
    max_step: float = 0.10
    map_price: float | None = None
    min_price: float | None = None
    max_price: float | None = None
    competitor_price: float | None = None
    competitor_band: tuple[float, float] = (0.8, 1.2)
    extrapolation: float | None = None  # None: max_step
    min_gain: float = 0.0

    def __post_init__(self) -> None:
        if not 0 <= self.min_margin < 1:
            raise ValueError("min_margin must be in [0, 1)")
        if not 0 < self.max_step <= 1:
            raise ValueError("max_step must be in (0, 1]")
        lo, hi = self.competitor_band
        if not 0 < lo <= hi:
            raise ValueError("competitor_band must be (low, high) with 0 < low <= high")
        for name in ("map_price", "min_price", "max_price", "competitor_price"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be positive")


@dataclass(frozen=True)
class PriceRecommendation:
    price: float
    current_price: float
    expected_units: float
    expected_profit: float
    current_expected_units: float
    current_expected_profit: float
    elasticity: float
    elasticity_interval: tuple[float, float]
    lower: float | None  # the effective bounds (None when infeasible)
    upper: float | None
    bounds: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    binding: tuple[str, ...] = ()  # bounds the chosen price sits on
    feasible: bool = True
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        out = asdict(self)
        out["bounds"] = {k: list(v) for k, v in self.bounds.items()}
        out["binding"] = list(self.binding)
        out["elasticity_interval"] = list(self.elasticity_interval)
        return out


def price_bounds(
    current_price: float,
    unit_cost: float,
    g: Guardrails,
    observed_range: tuple[float, float],
    elasticity_interval: tuple[float, float],
) -> dict[str, tuple[float | None, float | None]]:
    ext = g.max_step if g.extrapolation is None else g.extrapolation
    obs_lo, obs_hi = observed_range
    bounds: dict[str, tuple[float | None, float | None]] = {
        "margin": (unit_cost / (1 - g.min_margin), None),
        "step": (current_price * (1 - g.max_step), current_price * (1 + g.max_step)),
        "support": (obs_lo * (1 - ext), obs_hi if elasticity_interval[1] >= -1 else obs_hi * (1 + ext)),
    }
    if g.map_price is not None:
        bounds["map"] = (g.map_price, None)
    if g.min_price is not None or g.max_price is not None:
        bounds["explicit"] = (g.min_price, g.max_price)
    if g.competitor_price is not None:
        bounds["competitor"] = (
            g.competitor_band[0] * g.competitor_price,
            g.competitor_band[1] * g.competitor_price,
        )
    return bounds


def _tick_range(lower: float, upper: float, tick: float) -> tuple[int, int]:
    k_lo, k_hi = math.ceil(lower / tick), math.floor(upper / tick)
    if k_lo * tick < lower:  # float rounding: the grid must stay inside the bounds exactly
        k_lo += 1
    if k_hi * tick > upper:
        k_hi -= 1
    return k_lo, k_hi


def recommend_price(
    *,
    current_price: float,
    unit_cost: float,
    demand: Callable[[np.ndarray], np.ndarray],
    elasticity: float,
    elasticity_interval: tuple[float, float],
    observed_range: tuple[float, float],
    guardrails: Guardrails | None = None,
    tick: float = TICK,
    grid: int = GRID,
) -> PriceRecommendation:
    """demand(prices) -> expected units at each price (the demand model for this product/period)."""
    g = guardrails or Guardrails()
    for name, value in (("current_price", current_price), ("unit_cost", unit_cost)):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be positive")
    if not 0 < observed_range[0] <= observed_range[1]:
        raise ValueError("observed_range must be (low, high) with 0 < low <= high")
    bounds = price_bounds(current_price, unit_cost, g, observed_range, elasticity_interval)
    lower = max(lo for lo, _ in bounds.values() if lo is not None)
    upper = min(hi for _, hi in bounds.values() if hi is not None)
    k_lo, k_hi = _tick_range(lower, upper, tick)
    current_units = float(np.asarray(demand(np.array([current_price])))[0])
    current_profit = (current_price - unit_cost) * current_units
    base: dict[str, Any] = dict(
        current_price=current_price,
        current_expected_units=current_units,
        current_expected_profit=current_profit,
        elasticity=float(elasticity),
        elasticity_interval=(float(elasticity_interval[0]), float(elasticity_interval[1])),
        bounds=bounds,
    )
    if k_lo > k_hi:
        violated = [
            n
            for n, (lo, hi) in bounds.items()
            if (lo is not None and lo > upper) or (hi is not None and hi < lower)
        ]
        return PriceRecommendation(
            price=current_price,
            expected_units=current_units,
            expected_profit=current_profit,
            lower=None,
            upper=None,
            feasible=False,
            reason=f"no price satisfies every bound (conflicting: {', '.join(violated) or 'rounding'})",
            **base,
        )
    ks = np.unique(
        np.concatenate([np.linspace(k_lo, k_hi, min(grid, k_hi - k_lo + 1)).round(), [k_lo, k_hi]])
    )
    prices = ks.astype(np.int64) * tick
    prices = prices[(prices >= lower) & (prices <= upper)]
    current_ok = lower <= current_price <= upper
    if current_ok:
        prices = np.unique(np.append(prices, current_price))
    units = np.asarray(demand(prices), dtype=float)
    profit = (prices - unit_cost) * units
    best = float(np.max(profit))
    # ties (within a part in a million) go to the price closest to the current one
    near_best = np.flatnonzero(profit >= best - 1e-6 * abs(best))
    i = int(near_best[np.argmin(np.abs(prices[near_best] - current_price))])
    if current_ok and profit[i] <= current_profit * (1 + g.min_gain) + 1e-12:
        i = int(np.flatnonzero(prices == current_price)[0])
    price = float(prices[i])
    binding = tuple(
        n
        for n, (lo, hi) in bounds.items()
        if (lo is not None and abs(price - lo) < tick) or (hi is not None and abs(price - hi) < tick)
    )
    return PriceRecommendation(
        price=price,
        expected_units=float(units[i]),
        expected_profit=float(profit[i]),
        lower=lower,
        upper=upper,
        binding=binding,
        **base,
    )
