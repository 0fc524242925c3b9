from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from shared.recommendations.feedback import Interaction, history_weights, purchased, weight

NOW = datetime(2026, 1, 31, tzinfo=UTC)


def test_stronger_signals_weigh_more() -> None:
    kinds = ["view", "click", "add_to_cart", "purchase"]
    weights = [weight(k, NOW, NOW, half_life_days=30) for k in kinds]
    assert weights == sorted(weights) and len(set(weights)) == 4


def test_weight_halves_every_half_life_and_the_future_counts_as_now() -> None:
    assert weight("purchase", NOW - timedelta(days=30), NOW, half_life_days=30) == pytest.approx(4.0)
    assert weight("purchase", NOW - timedelta(days=60), NOW, half_life_days=30) == pytest.approx(2.0)
    assert weight("view", NOW + timedelta(days=3), NOW, half_life_days=30) == 1.0
    assert weight("unknown", NOW, NOW, half_life_days=30) == 0.0


def test_history_sums_per_product_with_log_damping() -> None:
    views = [Interaction("a", "view", NOW)] * 20
    history = history_weights([*views, Interaction("b", "purchase", NOW)], NOW, half_life_days=30)
    assert history["a"] == pytest.approx(math.log1p(20))
    assert history["b"] == pytest.approx(math.log1p(8))
    assert history["a"] < 2 * history["b"]  # twenty views do not drown a purchase
    assert purchased([*views, Interaction("b", "purchase", NOW)]) == {"b"}
