"""Safety stock, reorder point and order quantity (numpy + stdlib only: safe on request paths).

Policy: continuous review with an order-up-to level.
- Demand over the protection period P = lead time L (+ review period R for periodic review) is
  the sum of the per-day forecasts over P; its standard deviation is sqrt(sum of the per-day
  variances) (forecast errors taken as independent day to day -- the textbook assumption, see
  docs/forecasting-pricing.md "Limits"), plus mean_daily^2 * lead_time_sd^2 when the lead time
  itself varies. A fractional last day counts pro rata.
- safety stock    SS  = z(service level) * sd(P)      (cycle service level: P(no stockout in a cycle))
- reorder point   ROP = mean demand over P + SS
- order-up-to     S   = ROP + mean demand over the order cycle (`cycle_days`, default: the review
  period, at least one day), or ROP + EOQ when ordering and holding costs are given
- recommended order: when inventory position (on hand + on order - backorders) <= ROP, order
  S - position, at least `min_order`, rounded up to a multiple of `pack_size`; otherwise 0.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from statistics import NormalDist
from typing import Any, Protocol

import numpy as np


class ForecastLike(Protocol):
    def predict(self, horizon: int) -> np.ndarray: ...

    def std(self, horizon: int) -> np.ndarray: ...


def _check_level(service_level: float) -> float:
    if not 0.5 <= service_level < 1:
        raise ValueError("service_level must be in [0.5, 1)")
    return NormalDist().inv_cdf(service_level)


def lead_time_demand(
    mean: np.ndarray, std: np.ndarray, days: float, lead_time_sd: float = 0.0
) -> tuple[float, float]:
    """Mean and standard deviation of demand over `days` (fractional allowed) from per-day forecasts."""
    mean, std = np.asarray(mean, dtype=float), np.asarray(std, dtype=float)
    if days < 0 or not math.isfinite(days):
        raise ValueError("lead time must be a non-negative number of days")
    if lead_time_sd < 0:
        raise ValueError("lead_time_sd must not be negative")
    if len(mean) < math.ceil(days) or len(std) < math.ceil(days):
        raise ValueError("the forecast is shorter than the lead time")
    whole = math.floor(days)
    frac = days - whole
    mu = float(mean[:whole].sum() + (frac * mean[whole] if frac else 0.0))
    var = float((std[:whole] ** 2).sum() + (frac * std[whole] ** 2 if frac else 0.0))
    n = max(whole + (1 if frac else 0), 1)
    daily = float(mean[:n].mean()) if len(mean) else 0.0
    return mu, math.sqrt(var + (daily * lead_time_sd) ** 2)


def safety_stock(sd: float, service_level: float) -> float:
    return max(0.0, _check_level(service_level) * sd)


def reorder_point(mean: float, sd: float, service_level: float) -> float:
    return mean + safety_stock(sd, service_level)


def economic_order_quantity(
    annual_demand: float, order_cost: float, holding_cost_per_unit_year: float
) -> float:
    """Wilson EOQ: sqrt(2 D K / h)."""
    if annual_demand < 0 or order_cost < 0 or holding_cost_per_unit_year <= 0:
        raise ValueError("EOQ needs demand >= 0, order cost >= 0 and a positive holding cost")
    return math.sqrt(2 * annual_demand * order_cost / holding_cost_per_unit_year)


@dataclass(frozen=True)
class ReorderAdvice:
    lead_time: float
    service_level: float
    demand_mean: float  # over lead time + review period
    demand_sd: float
    safety_stock: float
    reorder_point: float
    order_up_to: float
    inventory_position: float
    reorder: bool
    order_quantity: int
    days_of_cover: float | None  # on hand / mean daily demand over the forecast

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def reorder_advice(
    fc: ForecastLike,
    *,
    lead_time: float,
    service_level: float = 0.95,
    on_hand: float = 0.0,
    on_order: float = 0.0,
    backorders: float = 0.0,
    review_period: float = 0.0,
    lead_time_sd: float = 0.0,
    cycle_days: float | None = None,
    order_cost: float | None = None,
    holding_cost_per_unit_year: float | None = None,
    min_order: int = 0,
    pack_size: int = 1,
) -> ReorderAdvice:
    """The inventory recommendation for one sku from its daily forecast (anything with predict/std)."""
    if pack_size < 1 or min_order < 0:
        raise ValueError("pack_size must be >= 1 and min_order >= 0")
    if lead_time < 0 or review_period < 0:
        raise ValueError("lead_time and review_period must not be negative")
    protection = lead_time + review_period
    cycle = max(review_period, 1.0) if cycle_days is None else cycle_days
    horizon = max(1, math.ceil(protection + cycle))
    mean, std = np.asarray(fc.predict(horizon)), np.asarray(fc.std(horizon))
    mu, sd = lead_time_demand(mean, std, protection, lead_time_sd)
    ss = safety_stock(sd, service_level)
    rop = mu + ss
    daily = float(mean.mean())
    if order_cost is not None and holding_cost_per_unit_year is not None:
        cycle_stock = economic_order_quantity(daily * 365, order_cost, holding_cost_per_unit_year)
    else:
        cycle_stock = daily * cycle
    up_to = rop + cycle_stock
    position = on_hand + on_order - backorders
    reorder = position <= rop
    qty = 0
    if reorder:
        raw = max(up_to - position, float(min_order), 0.0)
        qty = math.ceil(raw / pack_size - 1e-9) * pack_size
    return ReorderAdvice(
        lead_time=lead_time,
        service_level=service_level,
        demand_mean=mu,
        demand_sd=sd,
        safety_stock=ss,
        reorder_point=rop,
        order_up_to=up_to,
        inventory_position=position,
        reorder=reorder,
        order_quantity=qty,
        days_of_cover=(on_hand / daily) if daily > 0 else None,
    )
