"""The order workflow's fraud model: the 15 order features through the same `fit_tabular` path as any
table (candidates chosen by cross-validation, out-of-fold sigmoid calibration, final fit on all rows).

- metrics (`pr_auc`, `recall_at_1pct_fpr`) are out-of-fold: every row scored by a model that never
  saw it, so no rows are withheld from learning;
- `thresholds`: review/reject cut-offs from the budget (models.thresholds) on those honest scores;
- `holdout_X/holdout_y`: the newest `holdout_share` rows by time, for the parity gate and as
  default comparison rows. They are training rows: the retraining job compares a challenger with
  the champion on fresh rows neither has seen (models.retraining).

Imports scikit-learn: training jobs only, never a request path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from models.fraud.features import FEATURE_NAMES, build_features
from models.fraud.schema import encode_labels
from models.fraud.tabular import TabularClassifier, TabularParams, fit_tabular
from models.metrics import average_precision, recall_at_fpr
from models.thresholds import ThresholdBudget, budget_thresholds

FraudParams = TabularParams  # the order model's knobs are fit_tabular's
MIN_ROWS = 100


@dataclass
class TrainedFraudModel:
    classifier: TabularClassifier
    params: TabularParams
    baseline: np.ndarray  # a typical legitimate row: the reference for per-feature reasons
    holdout_X: np.ndarray
    holdout_y: np.ndarray
    thresholds: dict[str, Any] = field(default_factory=dict)
    metrics: dict[str, float] = field(default_factory=dict)
    data_window: dict[str, float | None] = field(default_factory=dict)
    feature_names: tuple[str, ...] = FEATURE_NAMES

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Fraud probability per feature row (the reference the ONNX graph must reproduce)."""
        X = np.asarray(X)
        if X.ndim != 2 or X.shape[1] != len(self.feature_names):
            raise ValueError(f"expected rows of {len(self.feature_names)} features, got shape {X.shape}")
        return self.classifier.predict_proba_design(X.astype(np.float32))

    def params_json(self) -> dict[str, Any]:
        return self.classifier.params_json()


def train_matrix(
    X: np.ndarray,
    y: np.ndarray,
    params: TabularParams | None = None,
    *,
    budget: ThresholdBudget | None = None,
    holdout_share: float = 0.2,
) -> TrainedFraudModel:
    """Train on a feature matrix whose columns are FEATURE_NAMES, rows in time order."""
    import pandas as pd

    X = np.asarray(X)
    if X.ndim != 2 or X.shape[1] != len(FEATURE_NAMES):
        raise ValueError(
            f"the fraud model's matrix has {len(FEATURE_NAMES)} columns "
            f"({', '.join(FEATURE_NAMES[:3])}, ...); "
            f"got shape {X.shape}. Use fraud.fit_tabular for other tables."
        )
    labels = np.asarray(y, dtype=object).reshape(-1)
    if len(labels) != len(X):
        raise ValueError(f"{len(labels)} labels for {len(X)} rows")
    if len(labels) < MIN_ROWS:
        raise ValueError(f"too few rows to train ({len(labels)}, at least {MIN_ROWS})")
    if len(set(labels.tolist())) < 2:
        raise ValueError("the training rows need both fraud and legitimate rows")
    # 0/1, bool or two named labels (the minority one is fraud), as fit_tabular reads them.
    y, _, _ = encode_labels(labels, len(labels))
    X = np.ascontiguousarray(X, dtype=np.float32)
    frame = pd.DataFrame(X, columns=list(FEATURE_NAMES))
    clf = fit_tabular(frame, y, positive=1, params=params)
    hold = max(1, int(len(y) * holdout_share))
    oof = clf.oof_scores
    thresholds = budget_thresholds(oof, y, budget or ThresholdBudget())
    metrics = {
        "pr_auc": average_precision(y, oof),
        "recall_at_1pct_fpr": recall_at_fpr(y, oof, 0.01),
        "training_rows": float(len(y)),
        "fraud_rate": float(y.mean()),
        "holdout_rows": float(hold),
        "holdout_fraud_rate": float(y[-hold:].mean()),
        **{f"cv_pr_auc_{name}": v["mean"] for name, v in clf.cv.items()},
    }
    return TrainedFraudModel(
        clf,
        clf.params,
        baseline=np.median(X[y == 0], axis=0).astype(np.float32),
        holdout_X=X[-hold:],
        holdout_y=y[-hold:],
        thresholds=thresholds,
        metrics=metrics,
    )


def train(
    frame: Mapping[str, Any],
    label: str = "is_fraud",
    *,
    params: TabularParams | None = None,
    budget: ThresholdBudget | None = None,
    time_column: str = "at",
) -> TrainedFraudModel:
    """Train from raw columns (a dict of arrays or a pandas DataFrame; see models.fraud.features).

    Rows are sorted by `time_column` when the frame has it, so the holdout is the newest data.
    """
    missing = [name for name in (label, *_raw_names()) if name not in frame]
    if missing:
        raise ValueError(
            f"the order fraud model needs the columns {', '.join(missing)}; "
            "for any other table use fraud.fit_tabular(X, y)"
        )
    y = np.asarray(frame[label]).reshape(-1)
    order = np.arange(len(y))
    times: np.ndarray | None = None
    if time_column in frame:
        times = np.asarray(frame[time_column], dtype=np.float64)
        order = np.argsort(times, kind="stable")
    raw = {name: np.asarray(frame[name])[order] for name in _raw_names()}
    model = train_matrix(build_features(raw), y[order], params, budget=budget)
    if times is not None:
        model.data_window = {"from": float(times.min()), "to": float(times.max())}
    return model


def _raw_names() -> tuple[str, ...]:
    from models.fraud.features import RAW_COLUMNS

    return RAW_COLUMNS
