"""The fraud model. Entry points (training side; they import scikit-learn when called):

    clf = fraud.fit_tabular(X, y, positive=None)       # any table (ML.md "Evaluation entry points")
    clf.predict_proba(X) -> (n,)                       # probability of the positive label
    clf.to_onnx() -> bytes                             # one input per column, parity-checked

    from models import fraud
    trained = fraud.train(frame, label="is_fraud")     # raw columns, see models.fraud.features
    artifact = fraud.export(trained)                   # ONNX + metadata, parity-checked
    registry.register(artifact)                        # models.registry.ModelRegistry

Serving imports `models.fraud_features` (numpy only), never this package: `import function_app`
does not import `models.fraud` (tests/unit/models/test_cold_start_imports.py).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from models.fraud_features import MODEL_NAME

if TYPE_CHECKING:
    from models.artifact import ModelArtifact
    from models.fraud.tabular import TabularClassifier
    from models.fraud.training import TrainedFraudModel

__all__ = ["MODEL_NAME", "export", "fit_tabular", "train"]


def fit_tabular(X: Any, y: Any, positive: Any = None, **kwargs: Any) -> TabularClassifier:
    """Binary classifier for any table: numeric, bool, object/category columns, NaN anywhere.

    y: 0/1, bool, or two distinct labels (`positive` names the positive one; default 1 / True /
    the minority label). ValueError on a wrong shape, a single class or a wrong column count.
    """
    from models.fraud.tabular import fit_tabular as _fit

    return _fit(X, y, positive, **kwargs)


def train(frame: Any, label: str = "is_fraud", **kwargs: Any) -> TrainedFraudModel:
    from models.fraud.training import train as _train

    return _train(frame, label, **kwargs)


def export(trained: TrainedFraudModel) -> ModelArtifact:
    from models.fraud.pipeline import export_artifact

    return export_artifact(trained)
