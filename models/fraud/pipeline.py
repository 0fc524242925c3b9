"""Trained fraud model -> parity-checked ModelArtifact. Nothing is returned (or saved) on mismatch.

Parity rows: the holdout, the classifier's reference rows and the generated edge rows (NaN in
every column, values exactly at / one float32 step above every tree threshold, extremes).
"""

from __future__ import annotations

import numpy as np

from models.artifact import ModelArtifact
from models.fraud import MODEL_NAME
from models.fraud.onnx_graph import INPUT, to_onnx
from models.fraud.training import TrainedFraudModel


def export_artifact(trained: TrainedFraudModel, *, tolerance: float = 1e-4) -> ModelArtifact:
    onnx_bytes = to_onnx(trained)
    parity = trained.classifier.check_parity(
        onnx_bytes,
        matrix_input=INPUT,
        extra=np.asarray(trained.holdout_X, dtype=np.float32),
        tolerance=tolerance,
    )
    metadata = {
        "model": MODEL_NAME,
        "featureNames": list(trained.feature_names),
        "metrics": trained.metrics,
        "dataWindow": trained.data_window,
        "params": trained.params_json(),
        "candidates": trained.classifier.cv,
        "selection": trained.classifier.selection,
        "chosen": trained.classifier.chosen,
        "thresholds": trained.thresholds,
        "parity": parity.to_json(),
        "baseline": [float(v) for v in trained.baseline],
        "inputName": INPUT,
        "outputName": "score",
    }
    return ModelArtifact(MODEL_NAME, onnx_bytes, metadata)
