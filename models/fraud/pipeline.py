"""Trained fraud model -> parity-checked ModelArtifact. Nothing is returned (or saved) on mismatch."""

from __future__ import annotations

import numpy as np

from models.artifact import ModelArtifact
from models.fraud import MODEL_NAME
from models.fraud.onnx_graph import to_onnx
from models.fraud.training import TrainedFraudModel
from models.parity import check_parity


def export_artifact(trained: TrainedFraudModel, *, tolerance: float = 1e-4) -> ModelArtifact:
    onnx_bytes = to_onnx(trained)
    X = trained.holdout_X
    parity = check_parity(onnx_bytes, X, trained.predict_proba(X.astype(np.float64)), tolerance=tolerance)
    metadata = {
        "model": MODEL_NAME,
        "featureNames": list(trained.feature_names),
        "metrics": trained.metrics,
        "dataWindow": trained.data_window,
        "params": trained.params_json(),
        "parity": parity.to_json(),
        "baseline": [float(v) for v in trained.baseline],
        "inputName": "features",
        "outputName": "score",
    }
    return ModelArtifact(MODEL_NAME, onnx_bytes, metadata)
