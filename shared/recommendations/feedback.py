"""Implicit feedback: how much an interaction says about what a user wants.

A purchase says more than a look: weights grow by type (view 1, click 2, add to cart 4, purchase
8, the usual order of implicit-feedback strength), and decay with age (half-life
`RECS_HALF_LIFE_DAYS`, default 30) so this month's browsing outweighs last year's. A user's
history for the model is the sum per product, squashed with log1p so twenty views of one page do
not drown every other signal.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Literal, NamedTuple

InteractionType = Literal["view", "click", "add_to_cart", "purchase"]
TYPE_WEIGHTS: Mapping[str, float] = {"view": 1.0, "click": 2.0, "add_to_cart": 4.0, "purchase": 8.0}
# What counts as a conversion for experiments (a view is not one: it is what exposure leads to).
CONVERSION_TYPES = frozenset({"click", "add_to_cart", "purchase"})


class Interaction(NamedTuple):
    """A tuple of atoms (str, str, datetime): the garbage collector stops tracking it, so the
    history cache (thousands of users x hundreds of these) adds nothing to a full collection."""

    product_id: str
    type: str
    at: datetime


def weight(kind: str, at: datetime, now: datetime, *, half_life_days: float) -> float:
    """Type weight x 0.5^(age / half-life); a timestamp in the future counts as now."""
    age_days = max((now - at).total_seconds(), 0.0) / 86400.0
    decay = 0.5 ** (age_days / half_life_days) if half_life_days > 0 else 1.0
    return TYPE_WEIGHTS.get(kind, 0.0) * decay


def history_weights(
    interactions: Iterable[Interaction], now: datetime, *, half_life_days: float
) -> dict[str, float]:
    """{product id: weight} for the model's fold-in."""
    # `weight` inlined (the same arithmetic): a cold request folds in ~30 of these, and the call
    # per interaction was a third of the loop's cost.
    sums: dict[str, float] = {}
    type_weight = TYPE_WEIGHTS.get
    for it in interactions:
        age_days = max((now - it.at).total_seconds(), 0.0) / 86400.0
        decay = 0.5 ** (age_days / half_life_days) if half_life_days > 0 else 1.0
        sums[it.product_id] = sums.get(it.product_id, 0.0) + type_weight(it.type, 0.0) * decay
    return {pid: math.log1p(w) for pid, w in sums.items() if w > 0}


def purchased(interactions: Iterable[Interaction]) -> set[str]:
    return {it.product_id for it in interactions if it.type == "purchase"}
