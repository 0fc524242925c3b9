"""The order fraud model as one ONNX graph: features [n, 15] -> score [n, 1] (and probability [n]).

The graph is the `fit_tabular` graph (models.fraud.tabular_onnx) with one float32 matrix input,
`features`, in FEATURE_NAMES order: what the runtime and the scorer feed.
"""

from __future__ import annotations

from models.fraud.training import TrainedFraudModel

INPUT = "features"
OUTPUTS = ("score", "probability")


def to_onnx(model: TrainedFraudModel) -> bytes:
    if model.classifier.feature_names != model.feature_names:
        raise ValueError(
            f"the model has {len(model.classifier.feature_names)} columns, the fraud graph needs "
            f"{len(model.feature_names)} ({', '.join(model.feature_names[:3])}, ...)"
        )
    return model.classifier.to_onnx(matrix_input=INPUT, check=False)
