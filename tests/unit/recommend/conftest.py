"""A small shop with planted structure: three categories, users who shop inside one of them."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models.recommend.training import RecsParams, train_artifact

CATEGORIES = ("books", "garden", "kitchen")
WORDS = {"books": "novel paperback story", "garden": "hose seeds lawn", "kitchen": "pan knife oven"}


def shop_items(per_category: int = 12) -> pd.DataFrame:
    rows = []
    for c, cat in enumerate(CATEGORIES):
        for j in range(per_category):
            rows.append({"item_id": f"p{c}{j:02d}", "text": f"{WORDS[cat]} model {j}", "category": cat})
    # A new product nobody has bought yet: only its text ties it to the garden items.
    rows.append({"item_id": "new-garden", "text": "garden hose seeds lawn sprinkler", "category": "garden"})
    return pd.DataFrame(rows)


def shop_interactions(users: int = 90, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(users):
        cat = u % len(CATEGORIES)
        # Within a category, lower numbers are more popular (Zipf-like), so popularity is informative.
        picks = rng.choice(12, size=5, replace=False, p=np.r_[12:0:-1] / np.r_[12:0:-1].sum())
        for j in picks:
            rows.append(
                {
                    "user_id": f"u{u}",
                    "item_id": f"p{cat}{j:02d}",
                    "weight": 1.0,
                    "timestamp": pd.Timestamp("2026-01-01", tz="UTC") + pd.Timedelta(hours=int(u)),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture(scope="session")
def items() -> pd.DataFrame:
    return shop_items()


@pytest.fixture(scope="session")
def interactions() -> pd.DataFrame:
    return shop_interactions()


@pytest.fixture(scope="session")
def artifact(interactions: pd.DataFrame, items: pd.DataFrame) -> bytes:
    data, _ = train_artifact(interactions, items, RecsParams(strategy="hybrid", alpha_content=0.3))
    return data
