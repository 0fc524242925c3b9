"""Closed-loop profit simulation with known demand (synthetic sales, models.synthetic_sales).

Each sku starts at its last list price. Every week for WEEKS weeks:
- ours:    fit_demand on all sales so far -> export to ONNX -> DemandPredictor.recommend within
           the guardrails (margin, step, support) -> sell a week at that price (true demand,
           negative-binomial noise) and add those days to the history;
- current: keeps the starting price;
- oracle:  knows each sku's true elasticity and picks the true profit-maximizing price within the
           same business guardrails (margin, step; it needs no support bound: it knows the truth).
Profit is scored as the true expected profit of each week's price (noise-free), so the uplift
ratio (ours - current) / (oracle - current) measures decisions, not luck.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import timedelta

import numpy as np

from models import pricing
from models.pricing.recommend import Guardrails
from models.pricing.serving import DemandPredictor
from models.synthetic_sales import DISPERSION, SalesHistory, generate_sales

WEEKS = 8
GUARDRAILS = Guardrails(min_margin=0.1, max_step=0.1)


@dataclass
class SimResult:
    skus: int
    profit_current: float
    profit_ours: float
    profit_oracle: float

    @property
    def uplift_ratio(self) -> float:
        gain = self.profit_oracle - self.profit_current
        return (self.profit_ours - self.profit_current) / gain if gain > 0 else float("nan")


def _week_profit(h: SalesHistory, sku: str, price: float, first_day: int, comp: float) -> float:
    t = h.truth[sku]
    days = range(first_day, first_day + 7)
    units = sum(float(h.expected_units(sku, price, d, competitor_price=comp)) for d in days)
    return (price - t.cost) * units


def _oracle_price(h: SalesHistory, sku: str, current: float) -> float:
    t = h.truth[sku]
    lo = max(t.cost / (1 - GUARDRAILS.min_margin), current * (1 - GUARDRAILS.max_step))
    hi = current * (1 + GUARDRAILS.max_step)
    grid = np.linspace(lo, hi, 401)
    profit = (grid - t.cost) * h.expected_units(sku, grid)
    return float(grid[int(np.argmax(profit))])


def _append_week(
    h: SalesHistory,
    prices: dict[str, float],
    first_day: int,
    rng: np.random.Generator,
    comp: dict[str, float],
) -> SalesHistory:
    rows: dict[str, list] = {k: [] for k in ("sku", "day", "units", "price", "promo", "comp")}
    for sku, price in prices.items():
        for d in range(first_day, first_day + 7):
            mean = float(h.expected_units(sku, price, d, competitor_price=comp[sku]))
            rows["sku"].append(sku)
            rows["day"].append(d)
            rows["units"].append(rng.poisson(rng.gamma(DISPERSION, mean / DISPERSION)))
            rows["price"].append(price)
            rows["promo"].append(0)
            rows["comp"].append(comp[sku])
    return replace(
        h,
        days=first_day + 7,
        sku=np.concatenate([h.sku, np.array(rows["sku"])]),
        day=np.concatenate([h.day, np.array(rows["day"], dtype=np.int64)]),
        units=np.concatenate([h.units, np.array(rows["units"], dtype=np.int64)]),
        price=np.concatenate([h.price, np.array(rows["price"])]),
        list_price=np.concatenate([h.list_price, np.array(rows["price"])]),
        promo=np.concatenate([h.promo, np.array(rows["promo"], dtype=np.int64)]),
        competitor_price=np.concatenate([h.competitor_price, np.array(rows["comp"])]),
    )


def simulate(seed: int = 11, n_skus: int = 24, days: int = 365, weeks: int = WEEKS) -> SimResult:
    rng = np.random.default_rng(seed + 1000)
    h = generate_sales(n_skus=n_skus, days=days, seed=seed, new_share=0.0)
    skus = [s for s in h.skus if not h.truth[s].intermittent]
    start = {s: float(h.list_price[h.sku == s][-1]) for s in skus}
    comp = {s: float(h.competitor_price[h.sku == s][-1]) for s in skus}
    ours, oracle = dict(start), dict(start)
    totals = {"current": 0.0, "ours": 0.0, "oracle": 0.0}
    day = days
    for _ in range(weeks):
        predictor = DemandPredictor(*_artifact(h))
        for s in skus:
            rec = predictor.recommend(
                s,
                current_price=ours[s],
                unit_cost=h.truth[s].cost,
                guardrails=GUARDRAILS,
                period=(h.start + timedelta(days=day + 3)).isoformat(),
                covariates={"competitor_price": comp[s]},
            )
            ours[s] = rec.price
            oracle[s] = _oracle_price(h, s, oracle[s])
            totals["current"] += _week_profit(h, s, start[s], day, comp[s])
            totals["ours"] += _week_profit(h, s, ours[s], day, comp[s])
            totals["oracle"] += _week_profit(h, s, oracle[s], day, comp[s])
        h = _append_week(h, {s: ours[s] for s in skus}, day, rng, comp)
        day += 7
    return SimResult(len(skus), totals["current"], totals["ours"], totals["oracle"])


def _artifact(h: SalesHistory) -> tuple[bytes, dict]:
    frame = h.to_frame().drop(columns=["category"])  # no category: the pooled prior only
    art = pricing.export(pricing.fit_demand(frame))
    assert math.isfinite(art.metadata["pooled"]["elasticity"])
    return art.onnx, art.metadata
