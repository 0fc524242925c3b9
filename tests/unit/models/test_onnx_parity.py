"""Every exported graph reproduces scikit-learn on held-out rows, and the parity gate bites."""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest

from models.fraud.onnx_graph import to_onnx
from models.fraud.pipeline import export_artifact
from models.onnx_trees import ML_DOMAIN, hist_gradient_boosting_node, isolation_forest_node
from models.parity import ParityError, check_parity, onnx_predict
from tests.ml_fixtures import trained_model


def _single_node_graph(node: onnx.NodeProto, n_features: int, output: str) -> bytes:
    graph = helper.make_graph(
        [node],
        "t",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, n_features])],
        [helper.make_tensor_value_info(output, TensorProto.FLOAT, [None, 1])],
    )
    model = helper.make_model(
        graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ML_DOMAIN, 3)]
    )
    model.ir_version = 9
    return model.SerializeToString()


def _data(n: int = 3000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 6)).astype(np.float32)
    y = ((X[:, 0] + X[:, 1] * X[:, 2] + rng.normal(0, 0.5, n)) > 1).astype(int)
    return X, y


def test_hist_gradient_boosting_raw_score_matches_decision_function() -> None:
    X, y = _data()
    clf = HistGradientBoostingClassifier(max_iter=40, random_state=0).fit(
        X[:2000].astype(np.float64), y[:2000]
    )
    graph = _single_node_graph(hist_gradient_boosting_node(clf, "x", "raw"), 6, "raw")
    held_out = X[2000:]
    got = onnx_predict(graph, held_out, "raw")
    assert np.max(np.abs(got - clf.decision_function(held_out.astype(np.float64)))) < 1e-4


@pytest.mark.parametrize("max_features", [1.0, 0.5])
def test_isolation_forest_path_length_matches_score_samples(max_features: float) -> None:
    X, _ = _data()
    iso = IsolationForest(n_estimators=40, max_features=max_features, random_state=0).fit(X[:2000])
    node, c = isolation_forest_node(iso, "x", "path")
    graph = _single_node_graph(node, 6, "path")
    path = onnx_predict(graph, X[2000:], "path")
    assert np.max(np.abs(-(2.0 ** (-path / c)) - iso.score_samples(X[2000:]))) < 1e-5


def test_fraud_ensemble_matches_scikit_learn_on_held_out_rows() -> None:
    model = trained_model()
    artifact = export_artifact(model)
    X = model.holdout_X
    assert artifact.metadata["parity"]["passed"] is True
    assert artifact.metadata["parity"]["rows"] == len(X) > 500
    got = onnx_predict(artifact.onnx, X)
    assert np.max(np.abs(got - model.predict_proba(X.astype(np.float64)))) < 1e-4
    components = onnx_predict(artifact.onnx, X, "components").reshape(-1, 2)
    assert np.allclose(components, model.components(X.astype(np.float64)), atol=1e-4)


def test_parity_gate_refuses_a_graph_that_disagrees() -> None:
    model = trained_model()
    graph = to_onnx(model)
    wrong = model.predict_proba(model.holdout_X.astype(np.float64)) + 0.01
    with pytest.raises(ParityError):
        check_parity(graph, model.holdout_X, wrong)


def test_export_refuses_when_the_converter_drifts_from_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    model = trained_model()

    class Drifted:  # what a converter bug looks like: the graph carries other coefficients
        coef_ = model.calibrator.coef_ * 1.5
        intercept_ = model.calibrator.intercept_

    drifted_graph = to_onnx(dataclasses.replace(model, calibrator=Drifted()))  # type: ignore[arg-type]
    monkeypatch.setattr("models.fraud.pipeline.to_onnx", lambda _m: drifted_graph)
    with pytest.raises(ParityError):
        export_artifact(model)
