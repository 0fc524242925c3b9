"""Regressions found by the pricing context's demo data (a year of history, the last 4 weeks held
out): slow movers' Poisson fits must not run off to elasticities of +-100, and a product whose
only price changes were promotions has no own elasticity (it is pooled) rather than ~0."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd

from models import pricing
from models.synthetic_sales import generate_sales

START = date(2025, 12, 2)


def test_slow_movers_stay_plausible_on_eleven_months_of_history() -> None:
    history = generate_sales(n_skus=24, days=365, seed=15, start=START)
    frame = history.to_frame().drop(columns=["competitor_price"])
    frame = frame[frame.period < pd.Timestamp(START + timedelta(days=365 - 28))]
    dm = pricing.fit_demand(frame)
    for sku in history.skus:
        estimate = dm.elasticity(sku)
        assert -6.0 < estimate < 0, (sku, estimate, history.truth[sku].elasticity)


def test_price_that_only_moved_with_promotions_is_pooled() -> None:
    history = generate_sales(n_skus=24, days=365, seed=15, start=START)
    frame = history.to_frame().drop(columns=["competitor_price"])
    frame = frame[frame.period < pd.Timestamp(START + timedelta(days=365 - 28))]
    dm = pricing.fit_demand(frame)
    summary = {s["productId"]: s for s in dm.summary()}
    new = summary["SKU-018"]  # 35 days, its one price change is a promotion week
    assert new["ownEstimate"] is None and new["shrinkage"] == 1.0
    assert new["elasticity"] < -1.0
