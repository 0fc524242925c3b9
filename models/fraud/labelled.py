"""Joining labelled production rows (review outcomes, chargebacks) to the generator's history.

Labelled rows are real orders people or banks judged; the generator provides the bulk (and all
of the rare patterns) until there are enough of them. Where they go in the time-ordered split:
the labelled rows are placed at the *start* of the generator's time window, so they land in the
fit slice. The holdout therefore stays the generator's newest rows, and a challenger trained with
labels is compared with the champion on the same kind of data it was chosen on. Each row keeps
its origin (`origin` column: synthetic, review, chargeback) so a run can say what it used.
Numpy only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.fraud.features import RAW_COLUMNS
from models.synthetic import Columns

NUMERIC = {
    "amount",
    "items",
    "account_age_days",
    "prior_orders",
    "orders_last_hour",
    "orders_last_day",
    "cards_last_hour",
    "cards_last_day",
    "usual_amount",
    "new_card",
}


def merge_labelled(
    synthetic: Columns, labelled: Sequence[Mapping[str, Any]], label: str = "is_fraud"
) -> Columns:
    """The generator's frame with the labelled rows prepended (origin column added to both)."""
    n = len(synthetic[label])
    frame: dict[str, np.ndarray] = {**synthetic, "origin": np.array(["synthetic"] * n)}
    if not labelled:
        return frame
    start = float(np.min(synthetic["at"])) if n else 0.0
    extra: dict[str, list[Any]] = {name: [] for name in (*RAW_COLUMNS, label, "at", "pattern", "origin")}
    for row in labelled:
        for name in RAW_COLUMNS:
            extra[name].append(float(row[name]) if name in NUMERIC else str(row[name]))
        extra[label].append(int(row[label]))
        extra["at"].append(start)
        extra["pattern"].append(f"labelled:{row.get('source', 'unknown')}")
        extra["origin"].append(str(row.get("source", "unknown")))
    out: dict[str, np.ndarray] = {}
    for name, values in frame.items():
        if name in extra:
            added = np.asarray(extra[name])
            # Strings: widen to the longer of the two unicode widths instead of truncating.
            dtype = np.result_type(added.dtype, values.dtype) if values.dtype.kind == "U" else values.dtype
            out[name] = np.concatenate([added.astype(dtype), values.astype(dtype)])
        else:  # a column the labelled rows cannot fill would misalign every row after it
            raise ValueError(f"column {name!r} has no value for labelled rows")
    return out


def data_sources(frame: Mapping[str, np.ndarray]) -> dict[str, int]:
    """Rows per origin (synthetic, review, chargeback)."""
    if "origin" not in frame:
        return {"synthetic": len(next(iter(frame.values())))}
    return {str(k): int(v) for k, v in sorted(Counter(frame["origin"].tolist()).items())}
