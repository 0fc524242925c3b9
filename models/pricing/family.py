"""The demand model as a retraining family: rows -> train + export -> held-out comparison.

`DemandFamily` has the shape of the ModelFamily protocol the retraining orchestration uses
(`name`, `extract`, `train`, `evaluate`, `thresholds`; models.family on the ML platform branch):
registering it is one line there (`"demand": "models.pricing.family:FAMILY"`). Until then
`models.retraining` calls it by name. Staged data are numpy arrays (`.npz`, no pickle):

    frame = FAMILY.extract(labelled=rows)      # rows: {product_id, category, date, units, price, promo}
    result = FAMILY.train(frame)               # artifact (parity-checked) + metrics + holdout arrays
    FAMILY.evaluate(registry, version, result.holdout)   # challenger vs champion; promote if better

The last HOLDOUT_DAYS days of the panel are held out of training. Champion and challenger are
both scored through onnxruntime (DemandPredictor) on those rows: mean absolute error of log
units on days with sales, lower is better, next to the no-price baseline (`maeLogUnitsNoPrice`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np

from models.artifact import ModelArtifact
from models.registry import ModelRegistry

NAME = "demand"
HOLDOUT_DAYS = 28
COLUMNS = ("product_id", "category", "date", "units", "price", "promo")
_TEXT = ("product_id", "category", "date")


@dataclass
class DemandTraining:
    """What `train` returns (the fields of models.family.TrainingResult)."""

    artifact: ModelArtifact
    metrics: dict[str, float]
    holdout: dict[str, np.ndarray] = field(default_factory=dict)


def rows_to_arrays(rows: Sequence[Mapping[str, Any]]) -> dict[str, np.ndarray]:
    """Rows -> column arrays (unicode and float: stageable as .npz without pickle)."""
    out: dict[str, np.ndarray] = {}
    for c in COLUMNS:
        values = [r.get(c) for r in rows]
        if c in _TEXT:
            out[c] = np.asarray(
                ["" if v is None else str(v)[:10] if c == "date" else str(v) for v in values], dtype=str
            )
        else:
            out[c] = np.asarray([0.0 if v is None else float(v) for v in values], dtype=float)
    return out


def arrays_to_rows(frame: Mapping[str, np.ndarray]) -> list[dict[str, Any]]:
    n = len(frame["product_id"])
    return [
        {c: (str(frame[c][i]) if c in _TEXT else float(frame[c][i])) for c in COLUMNS if c in frame}
        for i in range(n)
    ]


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


class DemandFamily:
    """The demand model as a ModelFamily (models.family on the ML platform branch)."""

    name = NAME

    def extract(
        self, *, n_customers: int | None = None, seed: int = 0, labelled: Sequence[Mapping[str, Any]] = ()
    ) -> dict[str, np.ndarray]:
        """`labelled`: the sales history's product-day rows (shared.pricing.training.demand_rows);
        n_customers and seed are the synthetic families' knobs and unused here."""
        return rows_to_arrays(labelled)

    def train(self, frame: Mapping[str, np.ndarray], *, budget: Any = None) -> DemandTraining:
        rows = arrays_to_rows(frame)
        if not rows:
            raise ValueError("no sales history to train the demand model on (import sales first)")
        artifact, holdout, metrics = train_rows(rows)
        return DemandTraining(artifact, metrics, rows_to_arrays(holdout) if holdout else {})

    def evaluate(
        self, registry: ModelRegistry, version: str, holdout: Mapping[str, np.ndarray]
    ) -> dict[str, Any]:
        rows = arrays_to_rows(holdout) if len(holdout.get("product_id", ())) else []
        return promote_if_better(registry, version, rows)

    def thresholds(self, scores: np.ndarray, y: np.ndarray, budget: Any) -> dict[str, Any] | None:
        return None  # no decision cut-offs: the recommender's guardrails are settings


FAMILY = DemandFamily()
