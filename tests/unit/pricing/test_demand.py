"""fit_demand on synthetic sales with known elasticities: sign, magnitude within the interval,
partial pooling of sparse products, predictions, and clear errors for wrong input."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from models import pricing
from models.synthetic_sales import CATEGORY_ELASTICITY, generate_sales


@pytest.fixture(scope="module")
def fitted() -> tuple:
    h = generate_sales(seed=3)
    return h, pricing.fit_demand(h.to_frame())


def test_elasticity_sign_and_magnitude_recovered_within_interval(fitted: tuple) -> None:
    h, dm = fitted
    inside, errors = 0, []
    for sku, truth in h.truth.items():
        est = dm.elasticity(sku)
        lo, hi = dm.elasticity_interval(sku)
        assert est < 0, sku
        assert lo < est < hi
        inside += lo <= truth.elasticity <= hi
        errors.append(abs(est - truth.elasticity))
    assert inside >= 0.8 * len(h.truth)  # 90% intervals
    assert np.mean(errors) < 0.3
    # the pooled and category elasticities sit near the generator's means
    assert abs(dm.elasticity() - np.mean([t.elasticity for t in h.truth.values()])) < 0.35
    for category, mean in CATEGORY_ELASTICITY.items():
        assert abs(dm.category_elasticity(category) - mean) < 0.4


def test_sparse_products_are_pulled_toward_their_category(fitted: tuple) -> None:
    h, dm = fitted
    rows = {r["productId"]: r for r in dm.summary()}
    new = [s for s, t in h.truth.items() if t.first_day > 0]
    old = [s for s, t in h.truth.items() if t.first_day == 0 and not t.intermittent]
    assert new, "the generator should have late starters with this seed"
    assert min(rows[s]["shrinkage"] for s in new) > max(np.median([rows[s]["shrinkage"] for s in old]), 0.0)
    for s in new:
        prior = dm.category_elasticity(h.truth[s].category)
        own = rows[s]["ownEstimate"]
        if own is not None:  # the pooled estimate lies between its own and the category's
            assert min(own, prior) - 1e-9 <= rows[s]["elasticity"] <= max(own, prior) + 1e-9


def test_predict_units_follows_the_constant_elasticity(fitted: tuple) -> None:
    h, dm = fitted
    sku = "SKU-005"
    e = dm.elasticity(sku)
    u1, u2 = dm.predict_units(sku, 10.0), dm.predict_units(sku, 12.0)
    assert isinstance(u1, float) and u2 < u1
    assert u2 / u1 == pytest.approx((12 / 10) ** e, rel=1e-9)
    assert dm.predict_units(sku, 10.0, promo=1.0) > u1  # promotions lift demand
    # period effects: the same ratio on any date, and a date as a string or a date object
    a = dm.predict_units(sku, np.array([10.0, 12.0]), "2025-07-01")
    assert a[1] / a[0] == pytest.approx((12 / 10) ** e, rel=1e-9)
    assert dm.predict_units(sku, 10.0, date(2025, 7, 1)) == pytest.approx(a[0])
    # the expected units at a typical price are of the right size (within 40% of the truth)
    t = h.truth[sku]
    truth = float(np.mean([h.expected_units(sku, t.base_price, d) for d in range(365, 730)]))
    assert dm.predict_units(sku, t.base_price) == pytest.approx(truth, rel=0.4)


def test_unknown_product_and_bad_price_are_value_errors(fitted: tuple) -> None:
    _, dm = fitted
    with pytest.raises(ValueError, match="unknown product"):
        dm.elasticity("nope")
    with pytest.raises(ValueError, match="positive"):
        dm.predict_units("SKU-001", -1.0)
    with pytest.raises(ValueError, match="covariate"):
        dm.predict_units("SKU-001", 5.0, covariates={"weather": 1.0})


def test_integer_periods_and_no_optional_columns() -> None:
    rng = np.random.default_rng(0)
    rows = []
    for p, e in (("a", -1.5), ("b", -2.5), ("c", -3.0)):
        for week in range(60):
            price = float(rng.uniform(2, 4))
            rows.append(
                {
                    "product_id": p,
                    "period": week,
                    "price": price,
                    "units": float(np.exp(5 + e * np.log(price) + rng.normal(0, 0.05))),
                }
            )
    dm = pricing.fit_demand(pd.DataFrame(rows))
    for p, e in (("a", -1.5), ("b", -2.5), ("c", -3.0)):
        assert dm.elasticity(p) == pytest.approx(e, abs=0.1)


def _frame() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "product_id": ["a"] * 4,
            "period": pd.date_range("2024-01-01", periods=4),
            "units": [1.0, 2.0, 3.0, 4.0],
            "price": [1.0, 2.0, 3.0, 4.0],
        }
    )


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (lambda f: f.drop(columns=["price"]), "missing column"),
        (lambda f: f.assign(units=[1.0, -2.0, 3.0, 4.0]), "negative"),
        (lambda f: f.assign(price=[1.0, 0.0, 3.0, 4.0]), "positive"),
        (lambda f: f.assign(price=[1.0, np.nan, 3.0, 4.0]), "missing"),
        (lambda f: f.assign(units=["x", "y", "z", "w"]), "numeric"),
        (lambda f: f.assign(promo=[0.0, 2.0, 0.0, 1.0]), "promo"),
        (lambda f: f.assign(period=[True, False, True, False]), "period"),
        (lambda f: f.assign(period=["not a date"] * 4), "period"),
        (lambda f: f.assign(units=[0.0, 0.0, 0.0, 1.0]), "units > 0"),
        (lambda f: f.assign(price=[2.0] * 4), "identifiable"),
        (lambda f: f.to_dict("list"), "DataFrame"),
    ],
)
def test_wrong_input_is_a_clear_value_error(change, match: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValueError, match=match):
        pricing.fit_demand(change(_frame()))


def test_holdout_evaluation_beats_the_no_price_baseline() -> None:
    h = generate_sales(n_skus=6, days=500, seed=8, intermittent_share=0.0, new_share=0.0)
    frame = h.to_frame()
    cut = frame["period"] >= frame["period"].max() - pd.Timedelta(days=60)
    dm = pricing.train(frame[~cut])
    metrics = pricing.evaluate(dm, frame[cut])
    assert metrics["rows"] > 300
    assert metrics["maeLogUnits"] < metrics["maeLogUnitsNoPrice"]
