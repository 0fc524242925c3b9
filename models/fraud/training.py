"""Fraud training: a supervised tree model plus an anomaly model, calibrated to one 0..1 score.

    score = sigmoid(a * hgb_raw + b * anomaly + c)

- `hgb_raw`: HistGradientBoostingClassifier's log-odds (learns the known fraud patterns);
- `anomaly`: IsolationForest's 2 ** (-mean path / c(n)) (catches odd rows no label covered);
- `a, b, c`: a logistic regression fitted on a separate calibration slice (Platt/sigmoid
  calibration, which converts to ONNX exactly, unlike isotonic).

Rows are split in time order: the oldest 60% train the two models, the next 20% calibrate, the
newest 20% are the holdout for metrics, the parity check and the challenger comparison.
Imports scikit-learn: training jobs only, never a request path.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.linear_model import LogisticRegression

from models.fraud.features import FEATURE_NAMES, build_features
from models.metrics import average_precision, recall_at_fpr


@dataclass(frozen=True)
class FraudParams:
    max_iter: int = 150
    learning_rate: float = 0.08
    max_leaf_nodes: int = 15
    min_samples_leaf: int = 20
    l2_regularization: float = 1.0
    anomaly_trees: int = 100
    anomaly_max_samples: int = 256
    calibration_share: float = 0.2
    holdout_share: float = 0.2
    seed: int = 0


@dataclass
class TrainedFraudModel:
    classifier: HistGradientBoostingClassifier
    anomaly: IsolationForest
    calibrator: LogisticRegression
    params: FraudParams
    baseline: np.ndarray  # a typical legitimate row: the reference for per-feature reasons
    holdout_X: np.ndarray
    holdout_y: np.ndarray
    metrics: dict[str, float] = field(default_factory=dict)
    data_window: dict[str, float | None] = field(default_factory=dict)
    feature_names: tuple[str, ...] = FEATURE_NAMES

    def components(self, X: np.ndarray) -> np.ndarray:
        raw = self.classifier.decision_function(X)
        anomaly = -self.anomaly.score_samples(X)
        return np.column_stack([raw, anomaly])

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        """Fraud probability per row (the reference the ONNX graph must reproduce)."""
        return self.calibrator.predict_proba(self.components(X))[:, 1]

    def params_json(self) -> dict[str, Any]:
        return asdict(self.params)


def _split(n: int, params: FraudParams) -> tuple[slice, slice, slice]:
    holdout = max(1, int(n * params.holdout_share))
    calib = max(1, int(n * params.calibration_share))
    fit_end = n - holdout - calib
    if fit_end < 100:
        raise ValueError(f"too few rows to train ({n})")
    return slice(0, fit_end), slice(fit_end, fit_end + calib), slice(fit_end + calib, n)


def train_matrix(X: np.ndarray, y: np.ndarray, params: FraudParams | None = None) -> TrainedFraudModel:
    """Train on a feature matrix (columns = FEATURE_NAMES), rows in time order."""
    p = params or FraudParams()
    X = np.ascontiguousarray(X, dtype=np.float32)
    y = np.asarray(y, dtype=np.int64).reshape(-1)
    fit, calib, hold = _split(len(y), p)
    for part, rows in (("training", fit), ("calibration", calib)):
        if len(np.unique(y[rows])) < 2:
            raise ValueError(f"the {part} slice needs both fraud and legitimate rows")
    # Features are float32 in ONNX: train on float32 values so thresholds sit between them.
    Xd = X.astype(np.float64)
    clf = HistGradientBoostingClassifier(
        max_iter=p.max_iter,
        learning_rate=p.learning_rate,
        max_leaf_nodes=p.max_leaf_nodes,
        min_samples_leaf=p.min_samples_leaf,
        l2_regularization=p.l2_regularization,
        early_stopping=False,
        random_state=p.seed,
    ).fit(Xd[fit], y[fit])
    iso = IsolationForest(
        n_estimators=p.anomaly_trees, max_samples=min(p.anomaly_max_samples, fit.stop), random_state=p.seed
    ).fit(Xd[fit])
    model = TrainedFraudModel(
        clf,
        iso,
        LogisticRegression(C=100.0),
        p,
        baseline=np.median(X[fit][y[fit] == 0], axis=0).astype(np.float32),
        holdout_X=X[hold],
        holdout_y=y[hold],
    )
    model.calibrator.fit(model.components(Xd[calib]), y[calib])
    scores = model.predict_proba(Xd[hold])
    model.metrics = {
        "pr_auc": average_precision(y[hold], scores),
        "recall_at_1pct_fpr": recall_at_fpr(y[hold], scores, 0.01),
        "holdout_rows": float(len(scores)),
        "holdout_fraud_rate": float(y[hold].mean()),
        "training_rows": float(fit.stop),
    }
    return model


def train(
    frame: Mapping[str, Any],
    label: str = "is_fraud",
    *,
    params: FraudParams | None = None,
    time_column: str = "at",
) -> TrainedFraudModel:
    """Train from raw columns (a dict of arrays or a pandas DataFrame; see models.fraud.features).

    Rows are sorted by `time_column` when the frame has it, so the holdout is the newest data.
    """
    y = np.asarray(frame[label]).reshape(-1)
    order = np.arange(len(y))
    times: np.ndarray | None = None
    if time_column in frame:
        times = np.asarray(frame[time_column], dtype=np.float64)
        order = np.argsort(times, kind="stable")
    raw = {name: np.asarray(frame[name])[order] for name in _raw_names()}
    model = train_matrix(build_features(raw), y[order], params)
    if times is not None:
        model.data_window = {"from": float(times.min()), "to": float(times.max())}
    return model


def _raw_names() -> tuple[str, ...]:
    from models.fraud.features import RAW_COLUMNS

    return RAW_COLUMNS
