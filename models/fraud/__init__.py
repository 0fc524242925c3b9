"""The fraud model. Entry points (training side; they import scikit-learn when called):

    from models import fraud
    trained = fraud.train(frame, label="is_fraud")     # raw columns, see models.fraud.features
    artifact = fraud.export(trained)                   # ONNX + metadata, parity-checked
    registry.register(artifact)                        # models.registry.ModelRegistry

`models.fraud.features` (numpy only) is what serving imports.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from models.artifact import ModelArtifact
    from models.fraud.training import TrainedFraudModel

MODEL_NAME = "fraud"


def train(frame: Any, label: str = "is_fraud", **kwargs: Any) -> TrainedFraudModel:
    from models.fraud.training import train as _train

    return _train(frame, label, **kwargs)


def export(trained: TrainedFraudModel) -> ModelArtifact:
    from models.fraud.pipeline import export_artifact

    return export_artifact(trained)
