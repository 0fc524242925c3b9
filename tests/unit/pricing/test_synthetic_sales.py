"""The sales generator is seeded, consistent with its ground truth, and has slow movers and new skus."""

from __future__ import annotations

import numpy as np

from models.synthetic_sales import generate_sales


def test_seeded_and_consistent() -> None:
    a, b, c = (
        generate_sales(n_skus=6, days=120, seed=1),
        generate_sales(n_skus=6, days=120, seed=1),
        generate_sales(n_skus=6, days=120, seed=2),
    )
    assert np.array_equal(a.units, b.units) and np.array_equal(a.price, b.price)
    assert not np.array_equal(a.units[:100], c.units[:100])
    assert np.all(a.units >= 0) and np.all(a.price > 0) and set(np.unique(a.promo)) <= {0, 1}
    assert np.all(a.price[a.promo == 1] < a.list_price[a.promo == 1])  # promotions are discounts
    rows = a.rows()
    assert len(rows) == len(a.units) and set(rows[0]) == {"sku", "date", "units", "price", "promo"}


def test_demand_follows_the_planted_elasticity() -> None:
    h = generate_sales(n_skus=3, days=400, seed=7, intermittent_share=0.0, new_share=0.0)
    for sku, t in h.truth.items():
        assert (
            h.expected_units(sku, 2 * t.base_price) / h.expected_units(sku, t.base_price)
            == np.float64(2.0) ** t.elasticity
        )
        mask = (h.sku == sku) & (h.promo == 0)
        ratio = h.units[mask].mean() / np.mean(
            [
                h.expected_units(sku, p, d, competitor_price=cp)
                for p, d, cp in zip(h.price[mask], h.day[mask], h.competitor_price[mask], strict=True)
            ]
        )
        assert 0.9 < ratio < 1.1


def test_slow_movers_and_late_starters_exist() -> None:
    h = generate_sales(n_skus=40, days=365, seed=0, intermittent_share=0.3, new_share=0.3)
    slow = [s for s, t in h.truth.items() if t.intermittent]
    late = [s for s, t in h.truth.items() if t.first_day > 0]
    assert slow and late
    assert all(np.mean(h.units[h.sku == s] == 0) > 0.3 for s in slow)
    assert all(np.sum(h.sku == s) <= 80 for s in late)
