"""The demand model as a retraining family: rows -> train + export -> held-out comparison.

Shaped like the fraud pipeline's steps so that `models.retraining` (and a pluggable ModelFamily
protocol: `name`, `extract`, `train`, `evaluate`) can call it without knowing the model:

    rows = [...]                                  # {product_id, category, date, units, price, promo}
    artifact, holdout, metrics = train_rows(rows) # last HOLDOUT_DAYS days held out, the rest fitted
    result = promote_if_better(registry, version, holdout)

The champion and the challenger are both scored through onnxruntime (DemandPredictor) on the
challenger's holdout: mean absolute error of log units on days with sales, lower is better,
next to the no-price baseline (`maeLogUnitsNoPrice`) of the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np

from models.registry import ModelRegistry

NAME = "demand"
HOLDOUT_DAYS = 28
COLUMNS = ("product_id", "category", "date", "units", "price", "promo")


def _frame(rows: Sequence[dict[str, Any]]) -> Any:
    import pandas as pd

    frame = pd.DataFrame([{c: r.get(c) for c in COLUMNS} for r in rows])
    frame = frame.rename(columns={"date": "period"})
    frame["period"] = pd.to_datetime(frame["period"])
    frame["units"] = frame["units"].astype(float)
    frame["price"] = frame["price"].astype(float)
    frame["promo"] = frame["promo"].fillna(0).astype(float)
    return frame


def split(
    rows: Sequence[dict[str, Any]], holdout_days: int = HOLDOUT_DAYS
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Time split: the last `holdout_days` days (of the whole panel) are held out."""
    last = max(date.fromisoformat(str(r["date"])[:10]) for r in rows)
    cut = (last - timedelta(days=holdout_days - 1)).isoformat()
    train = [r for r in rows if str(r["date"])[:10] < cut]
    holdout = [r for r in rows if str(r["date"])[:10] >= cut]
    if not train:
        return list(rows), []
    return train, holdout


def train_rows(rows: Sequence[dict[str, Any]]) -> tuple[Any, list[dict[str, Any]], dict[str, float]]:
    """(parity-checked artifact, holdout rows, metrics). ValueError when the rows cannot fit a model."""
    from models import pricing

    train, holdout = split(rows)
    dm = pricing.fit_demand(_frame(train))
    artifact = pricing.export(dm)
    metrics: dict[str, float] = {"trainRows": float(len(train)), "products": float(len(dm.products))}
    if holdout:
        from models.pricing.serving import DemandPredictor

        metrics.update(holdout_error(DemandPredictor(artifact.onnx, artifact.metadata), holdout))
    # GET /api/models lists metrics as numbers: the pooled interval goes in as its two ends.
    recorded = artifact.metadata.setdefault("metrics", {})
    interval = recorded.pop("pooledInterval", None)
    if interval is not None:
        recorded["pooledIntervalLow"], recorded["pooledIntervalHigh"] = (float(v) for v in interval)
    recorded.update(metrics)
    return artifact, holdout, metrics


def holdout_error(predictor: Any, holdout: Sequence[dict[str, Any]]) -> dict[str, float]:
    """MAE of log units (days with sales, products the model knows) and the no-price baseline."""
    errors, baseline = [], []
    known = set(predictor.products)
    rows = [r for r in holdout if r["product_id"] in known and float(r["units"]) > 0]
    levels: dict[str, float] = {}
    for r in rows:
        pid = r["product_id"]
        if pid not in levels:
            lo, hi = predictor.observed_range(pid)
            levels[pid] = float(
                np.log(predictor.predict_units(pid, [float(np.sqrt(lo * hi))], str(r["date"])[:10])[0])
            )
        pred = predictor.predict_units(
            pid, [float(r["price"])], str(r["date"])[:10], promo=float(r.get("promo") or 0)
        )[0]
        actual = np.log(float(r["units"]))
        errors.append(abs(np.log(max(pred, 1e-9)) - actual))
        baseline.append(abs(levels[pid] - actual))
    if not rows:
        return {"holdoutRows": 0.0}
    return {
        "holdoutRows": float(len(rows)),
        "maeLogUnits": float(np.mean(errors)),
        "maeLogUnitsNoPrice": float(np.mean(baseline)),
    }


def promote_if_better(
    registry: ModelRegistry, candidate: str, holdout: Sequence[dict[str, Any]], *, min_gain: float = 0.0
) -> dict[str, Any]:
    """Promote when the candidate's held-out error is lower than the champion's (or no champion)."""
    from models.pricing.serving import DemandPredictor

    current = registry.champion(NAME)

    def score(version: str) -> float | None:
        predictor = DemandPredictor(registry.load_onnx(NAME, version), registry.metadata(NAME, version))
        value = holdout_error(predictor, holdout).get("maeLogUnits")
        return None if value is None else float(value)

    cand = score(candidate)
    champ = score(current.version) if current is not None else None
    better = current is None or (cand is not None and (champ is None or cand < champ - min_gain))
    result = {
        "candidate": candidate,
        "champion": current.version if current else None,
        "candidateMaeLogUnits": cand,
        "championMaeLogUnits": champ,
        "holdoutRows": len(holdout),
        "promoted": bool(better),
    }
    if better:
        registry.promote(
            NAME, candidate, reason="challenger won" if current else "first model", expected=current
        )
    registry.save_evaluation(NAME, candidate, result)
    return result
