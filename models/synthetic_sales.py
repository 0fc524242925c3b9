"""Seeded synthetic daily sales per sku with known demand (elasticity, seasonality, promotions).

Used by the forecasting and pricing tests, `bench/forecast_bench.py` and (later) the demo shop's
seed. numpy and stdlib only, so a seeder can call it without pandas; `SalesHistory.to_frame()`
imports pandas when asked.

Demand of sku s on day t (the ground truth, `SalesHistory.expected_units`):

    mean = base_units * (price / base_price) ** elasticity          own price, constant elasticity
                      * weekly[day of week]                         weekly profile, mean 1
                      * exp(yearly_amp * sin(2 pi (doy - phase) / 365.25))    yearly season
                      * promo_lift ** promo                         display / feature effect
                      * (competitor_price / base_competitor) ** CROSS_ELASTICITY
    units ~ NegativeBinomial(mean, shape=DISPERSION)                mild over-dispersion

Prices: a list price that moves every 30-90 days by up to +-15% (kept within 0.75-1.3x the base);
promotions run for a week (8% of weeks) at a 10-30% discount, so realized price = list * (1 -
discount) on promo days. Competitor prices follow a weekly random walk. Per-sku elasticities are
drawn around their category's mean (categories differ), and are what fit_demand should recover.
The yearly season is the shop's (one phase, +-5 days per sku;
amplitude 0.1-0.3 per sku); weekly profiles and promotion lifts (1.1-1.5x) differ per sku.
A share of skus are slow movers (mean below one unit a day: intermittent, mostly zeros) and some
start late (new products with 30-80 days of history: the sparse ones partial pooling is for).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import numpy as np

CATEGORY_ELASTICITY = {"beverages": -1.6, "snacks": -2.3, "household": -2.9}
ELASTICITY_SD = 0.35
CROSS_ELASTICITY = 0.6
DISPERSION = 25.0  # negative binomial shape: variance = mean + mean^2 / DISPERSION
PROMO_WEEK_PROB = 0.08
YEARLY_PHASE = 80.0  # the shop's season peaks around late June (phase + a quarter year)


@dataclass(frozen=True)
class SkuTruth:
    sku: str
    category: str
    elasticity: float
    base_units: float  # mean units a day at base price, average season, no promo
    base_price: float
    base_competitor: float
    cost: float
    promo_lift: float
    weekly: tuple[float, ...]  # 7 multipliers, Monday first, mean 1
    yearly_amp: float
    yearly_phase: float  # day of year of the peak minus a quarter year
    intermittent: bool
    first_day: int  # index of the sku's first day of sales


@dataclass(frozen=True)
class SalesHistory:
    start: date
    days: int
    sku: np.ndarray  # str, one row per sku and day (from the sku's first day)
    day: np.ndarray  # int, days since start
    units: np.ndarray  # int >= 0
    price: np.ndarray  # realized price
    list_price: np.ndarray
    promo: np.ndarray  # 0/1
    competitor_price: np.ndarray
    truth: dict[str, SkuTruth]

    @property
    def skus(self) -> list[str]:
        return list(self.truth)

    def dates(self) -> np.ndarray:
        return np.datetime64(self.start.isoformat(), "D") + self.day.astype("timedelta64[D]")

    def expected_units(
        self,
        sku: str,
        price: float | np.ndarray,
        day: int | None = None,
        *,
        promo: int = 0,
        competitor_price: float | None = None,
    ) -> np.ndarray:
        """The true mean demand at `price` on `day` (None: average weekday and season)."""
        t = self.truth[sku]
        p = np.asarray(price, dtype=float)
        season = 1.0
        if day is not None:
            d = self.start + timedelta(days=int(day))
            season = t.weekly[d.weekday()] * math.exp(_yearly(t, d))
        comp = 1.0 if competitor_price is None else (competitor_price / t.base_competitor) ** CROSS_ELASTICITY
        lift = t.promo_lift if promo else 1.0
        return np.asarray(t.base_units * (p / t.base_price) ** t.elasticity * season * lift * comp)

    def rows(self) -> list[dict[str, Any]]:
        """JSON-friendly rows (sku, date, units, price, promo): the admin-import / seed format."""
        dates = self.dates().astype(str)
        return [
            {"sku": str(s), "date": str(d), "units": int(u), "price": round(float(p), 2), "promo": int(m)}
            for s, d, u, p, m in zip(self.sku, dates, self.units, self.price, self.promo, strict=True)
        ]

    def to_frame(self) -> Any:
        """pandas DataFrame in the `pricing.fit_demand` shape (+ category, competitor_price)."""
        import pandas as pd

        return pd.DataFrame(
            {
                "product_id": self.sku,
                "category": [self.truth[s].category for s in self.sku],
                "period": pd.to_datetime(self.dates()),
                "units": self.units.astype(float),
                "price": self.price,
                "promo": self.promo.astype(float),
                "competitor_price": self.competitor_price,
            }
        )

    def series(self, sku: str) -> Any:
        """Daily units of one sku as a pandas Series with a daily DatetimeIndex (forecast.fit input)."""
        import pandas as pd

        mask = self.sku == sku
        index = pd.DatetimeIndex(pd.to_datetime(self.dates()[mask]), freq="D")
        return pd.Series(self.units[mask].astype(float), index=index, name=sku)


def _yearly(t: SkuTruth, d: date) -> float:
    doy = d.timetuple().tm_yday
    return t.yearly_amp * math.sin(2 * math.pi * (doy - t.yearly_phase) / 365.25)


def _truths(
    rng: np.random.Generator, n_skus: int, days: int, intermittent_share: float, new_share: float
) -> dict[str, SkuTruth]:
    cats = list(CATEGORY_ELASTICITY)
    out: dict[str, SkuTruth] = {}
    for i in range(n_skus):
        cat = cats[i % len(cats)]
        e = float(np.clip(rng.normal(CATEGORY_ELASTICITY[cat], ELASTICITY_SD), -4.5, -1.1))
        slow = bool(rng.random() < intermittent_share)
        late = bool(not slow and rng.random() < new_share)
        base_price = float(np.round(rng.uniform(3, 60), 2))
        weekly = np.exp(rng.normal(0, 0.18, 7)) * np.array([0.9, 0.9, 0.95, 1.0, 1.1, 1.25, 1.0])
        weekly = weekly / weekly.mean()
        out[f"SKU-{i:03d}"] = SkuTruth(
            sku=f"SKU-{i:03d}",
            category=cat,
            elasticity=e,
            base_units=float(rng.uniform(0.15, 0.8) if slow else rng.lognormal(math.log(25), 0.6)),
            base_price=base_price,
            base_competitor=float(base_price * rng.uniform(0.95, 1.1)),
            cost=float(np.round(base_price * rng.uniform(0.35, 0.7), 2)),
            promo_lift=float(rng.uniform(1.1, 1.5)),
            weekly=tuple(float(w) for w in weekly),
            yearly_amp=float(rng.uniform(0.1, 0.3)),
            yearly_phase=YEARLY_PHASE + float(rng.normal(0, 5)),
            intermittent=slow,
            first_day=int(days - rng.integers(30, 81)) if late else 0,
        )
    return out


def _price_path(
    rng: np.random.Generator, t: SkuTruth, days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    list_price = np.empty(days)
    level, d = t.base_price * rng.uniform(0.9, 1.1), 0
    while d < days:
        run = int(rng.integers(30, 91))
        list_price[d : d + run] = level
        level = float(np.clip(level * rng.uniform(0.85, 1.15), 0.75 * t.base_price, 1.3 * t.base_price))
        d += run
    promo = np.zeros(days, dtype=np.int64)
    discount = np.zeros(days)
    for week in range(0, days, 7):
        if rng.random() < PROMO_WEEK_PROB:
            promo[week : week + 7] = 1
            discount[week : week + 7] = rng.uniform(0.1, 0.3)
    price = np.round(list_price * (1 - discount), 2)
    return np.round(list_price, 2), price, promo


def generate_sales(
    n_skus: int = 24,
    days: int = 730,
    *,
    seed: int = 0,
    start: date = date(2024, 1, 1),
    intermittent_share: float = 0.15,
    new_share: float = 0.1,
) -> SalesHistory:
    """`days` of daily sales for `n_skus` skus (from each sku's first day), seeded and reproducible."""
    if n_skus < 1 or days < 14:
        raise ValueError("need at least one sku and 14 days")
    rng = np.random.default_rng(seed)
    truth = _truths(rng, n_skus, days, intermittent_share, new_share)
    cols: dict[str, list[np.ndarray]] = {
        k: [] for k in ("sku", "day", "units", "price", "list", "promo", "comp")
    }
    weekday0 = start.weekday()
    doy = np.array([(start + timedelta(days=i)).timetuple().tm_yday for i in range(days)])
    for t in truth.values():
        list_price, price, promo = _price_path(rng, t, days)
        # competitor price: a random walk in log price that moves once a week
        weekly_steps = rng.normal(0, 0.02, days // 7 + 1).cumsum()
        comp = np.round(t.base_competitor * np.exp(np.repeat(weekly_steps, 7)[:days]), 2)
        dow = (weekday0 + np.arange(days)) % 7
        season = np.asarray(t.weekly)[dow] * np.exp(
            t.yearly_amp * np.sin(2 * np.pi * (doy - t.yearly_phase) / 365.25)
        )
        mean = (
            t.base_units
            * (price / t.base_price) ** t.elasticity
            * season
            * np.where(promo == 1, t.promo_lift, 1.0)
            * (comp / t.base_competitor) ** CROSS_ELASTICITY
        )
        lam = rng.gamma(DISPERSION, mean / DISPERSION)  # gamma-Poisson = negative binomial
        units = rng.poisson(lam)
        keep = slice(t.first_day, days)
        n = days - t.first_day
        cols["sku"].append(np.full(n, t.sku))
        cols["day"].append(np.arange(days)[keep])
        cols["units"].append(units[keep])
        cols["price"].append(price[keep])
        cols["list"].append(list_price[keep])
        cols["promo"].append(promo[keep])
        cols["comp"].append(comp[keep])
    return SalesHistory(
        start=start,
        days=days,
        sku=np.concatenate(cols["sku"]),
        day=np.concatenate(cols["day"]).astype(np.int64),
        units=np.concatenate(cols["units"]).astype(np.int64),
        price=np.concatenate(cols["price"]),
        list_price=np.concatenate(cols["list"]),
        promo=np.concatenate(cols["promo"]),
        competitor_price=np.concatenate(cols["comp"]),
        truth=truth,
    )
