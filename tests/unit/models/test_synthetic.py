"""The generator is seeded, its tables line up, and its history columns use only the past."""

from __future__ import annotations

import numpy as np
import pytest

from models.fraud.dataset import fraud_frame
from models.fraud.features import FEATURE_NAMES, RAW_COLUMNS, build_features
from models.synthetic import FRAUD_PATTERNS, generate_history


def test_same_seed_same_history_and_another_seed_differs() -> None:
    a, b, c = generate_history(200, seed=1), generate_history(200, seed=1), generate_history(200, seed=2)
    assert np.array_equal(a.orders["amount"], b.orders["amount"])
    assert not np.array_equal(a.orders["amount"][:50], c.orders["amount"][:50])


def test_tables_are_aligned_and_ground_truth_covers_every_pattern() -> None:
    h = generate_history(1500, seed=3, fraud_rate=0.05)
    n = len(h.orders["order_id"])
    assert len(h.payments["order_id"]) == len(h.labels["order_id"]) == len(h.sessions["session_id"]) == n
    assert set(h.orders["customer_id"]) <= set(h.customers["customer_id"])
    patterns = set(h.labels["pattern"])
    assert set(FRAUD_PATTERNS) <= patterns
    fraud_share = h.labels["is_fraud"].mean()
    assert 0.01 < fraud_share < 0.15
    assert np.all(h.labels["is_fraud"] == (h.labels["pattern"] != "legit"))


def test_history_columns_count_only_earlier_orders() -> None:
    f = fraud_frame(generate_history(300, seed=4))
    assert set(RAW_COLUMNS) <= set(f)
    assert np.all(np.diff(f["at"]) >= 0)
    first = f["prior_orders"] == 0
    assert np.all(f["usual_amount"][first] == 0) and np.all(f["new_card"][first] == 1)
    assert np.all(f["orders_last_hour"] <= f["orders_last_day"])
    assert np.all(f["orders_last_day"] <= f["prior_orders"])
    assert np.all(f["cards_last_hour"] >= 1)


def test_card_testing_bursts_show_many_cards_within_the_hour() -> None:
    f = fraud_frame(generate_history(800, seed=5, fraud_rate=0.06))
    testing = f["pattern"] == "card_testing"
    assert testing.sum() > 10
    assert f["cards_last_hour"][testing].mean() > 2.5 > f["cards_last_hour"][f["is_fraud"] == 0].mean()


def test_features_are_finite_and_in_documented_order() -> None:
    f = fraud_frame(generate_history(200, seed=6))
    X = build_features(f)
    assert X.shape == (len(f["amount"]), len(FEATURE_NAMES)) and X.dtype == np.float32
    assert np.isfinite(X).all()


def test_unknown_provider_signal_is_refused() -> None:
    f = {k: v[:1] for k, v in fraud_frame(generate_history(50, seed=1)).items()}
    f["provider_signal"] = np.array(["suspicious"])
    with pytest.raises(ValueError, match="provider signal"):
        build_features(f)


def test_too_few_customers_is_refused() -> None:
    with pytest.raises(ValueError):
        generate_history(3)
