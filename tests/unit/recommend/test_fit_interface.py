"""The ML.md evaluation interface: recommend.fit / recommend / similar, and bad input refused."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from models import recommend

ROOT = Path(__file__).resolve().parents[3]


def test_fit_recommend_similar(interactions: pd.DataFrame, items: pd.DataFrame) -> None:
    rec = recommend.fit(interactions, items)
    seen = set(interactions.loc[interactions.user_id == "u1", "item_id"])
    top = rec.recommend("u1", k=5)
    assert len(top) == 5 and not set(top) & seen
    assert all(t.startswith("p1") for t in top)  # u1 shops in garden
    assert set(rec.recommend("u1", k=40, exclude_seen=False)) & seen
    assert rec.recommend("a-stranger", k=3) == [r.item_id for r in rec.scorer.popular(3)]
    assert all(s.startswith("p2") for s in rec.similar("p203", k=4))


def test_int_ids_epoch_timestamps_and_no_items() -> None:
    frame = pd.DataFrame(
        {
            "user_id": [1, 1, 2, 2, 3, 3],
            "item_id": [7, 8, 7, 8, 9, 7],
            "timestamp": [1_700_000_000 + i for i in range(6)],
        }
    )
    rec = recommend.fit(frame)
    assert rec.recommend(3, k=1) == [8]
    assert rec.similar(7, k=1) in ([8], [9])


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"user": [1], "item_id": [2]}),
        pd.DataFrame({"user_id": [], "item_id": []}),
        pd.DataFrame({"user_id": [1], "item_id": [2], "weight": [-1.0]}),
    ],
)
def test_bad_interactions_are_refused(frame: pd.DataFrame) -> None:
    with pytest.raises(ValueError):
        recommend.fit(frame)


def test_unknown_strategy_is_refused(interactions: pd.DataFrame) -> None:
    from models.recommend.training import RecsParams

    with pytest.raises(ValueError, match="strategy"):
        recommend.fit(interactions, params=RecsParams(strategy="magic"))


def test_serving_imports_no_training_library() -> None:
    code = (
        "import sys, models.recommend, models.recommend.scorer\n"
        "print(','.join(sorted(m for m in sys.modules if m.split('.')[0] in ('sklearn','scipy','pandas'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""
