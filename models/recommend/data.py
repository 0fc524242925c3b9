"""Interactions (and optional item attributes) as matrices for training (pandas/scipy: jobs only)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import sparse

SECONDS_PER_DAY = 86_400.0


@dataclass
class InteractionMatrix:
    users: list[Any]
    items: list[Any]
    X: sparse.csr_matrix  # users x items, summed weights (float32)
    categories: list[str | None]
    texts: list[str]
    popularity: np.ndarray  # [items] recency-weighted interaction mass
    user_index: dict[Any, int]
    item_index: dict[Any, int]


def _epoch_seconds(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(column):
        values = pd.to_datetime(column, utc=True)
        return ((values - pd.Timestamp(0, tz="UTC")) / pd.Timedelta(seconds=1)).to_numpy(dtype=float)
    return pd.to_numeric(column, errors="raise").to_numpy(dtype=float)


def validate(interactions: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(interactions, pd.DataFrame):
        raise ValueError("interactions must be a pandas DataFrame")
    missing = {"user_id", "item_id"} - set(interactions.columns)
    if missing:
        raise ValueError(f"interactions lack column(s): {', '.join(sorted(missing))}")
    frame = interactions.dropna(subset=["user_id", "item_id"])
    if frame.empty:
        raise ValueError("no interactions to learn from")
    if "weight" in frame.columns:
        weight = pd.to_numeric(frame["weight"], errors="raise").astype(float)
        if (weight < 0).any() or not np.isfinite(weight).all():
            raise ValueError("weights must be finite and >= 0")
    return frame


def recency_weights(timestamps: np.ndarray, half_life_days: float | None) -> np.ndarray:
    """exp2(-age / half-life), age measured from the newest interaction (1 when no half-life)."""
    if half_life_days is None or timestamps.size == 0:
        return np.ones_like(timestamps, dtype=float)
    age_days = (np.nanmax(timestamps) - timestamps) / SECONDS_PER_DAY
    return np.exp2(-np.nan_to_num(age_days, nan=0.0) / half_life_days)


def build(
    interactions: pd.DataFrame,
    items: pd.DataFrame | None = None,
    *,
    popularity_half_life_days: float | None = 60.0,
    weight_half_life_days: float | None = None,
) -> InteractionMatrix:
    """Index users and items (catalogue items with no interactions included) and sum the weights."""
    frame = validate(interactions)
    weight = (
        pd.to_numeric(frame["weight"]).to_numpy(dtype=float)
        if "weight" in frame.columns
        else np.ones(len(frame))
    )
    timestamps = _epoch_seconds(frame["timestamp"]) if "timestamp" in frame.columns else np.zeros(len(frame))
    item_list: list[Any] = list(pd.unique(frame["item_id"]))
    categories: dict[Any, str | None] = {}
    texts: dict[Any, str] = {}
    if items is not None:
        if "item_id" not in items.columns:
            raise ValueError("items lack column item_id")
        known = set(item_list)
        item_list += [i for i in pd.unique(items["item_id"].dropna()) if i not in known]
        for row in items.itertuples(index=False):
            cat = getattr(row, "category", None)
            categories[row.item_id] = None if cat is None or pd.isna(cat) else str(cat)
            text = getattr(row, "text", None)
            texts[row.item_id] = "" if text is None or pd.isna(text) else str(text)
    users: list[Any] = list(pd.unique(frame["user_id"]))
    user_index = {u: i for i, u in enumerate(users)}
    item_index = {it: i for i, it in enumerate(item_list)}
    rows = frame["user_id"].map(user_index).to_numpy()
    cols = frame["item_id"].map(item_index).to_numpy()
    w = weight * recency_weights(timestamps, weight_half_life_days)
    X = sparse.csr_matrix((w.astype(np.float32), (rows, cols)), shape=(len(users), len(item_list)))
    X.sum_duplicates()
    X.eliminate_zeros()  # zero-weight rows (an unknown type, the catalogue-only stand-in) say nothing
    pop = np.bincount(
        cols,
        weights=weight * recency_weights(timestamps, popularity_half_life_days),
        minlength=len(item_list),
    )
    return InteractionMatrix(
        users=users,
        items=item_list,
        X=X,
        categories=[categories.get(i) for i in item_list],
        texts=[texts.get(i, "") for i in item_list],
        popularity=pop.astype(np.float32),
        user_index=user_index,
        item_index=item_index,
    )
