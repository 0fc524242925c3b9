"""Every exported graph reproduces scikit-learn on held-out rows, and the parity gate bites."""

from __future__ import annotations

import dataclasses

import numpy as np
import onnx
import pandas as pd
import pytest
from onnx import TensorProto, helper
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest

from models.fraud.onnx_graph import to_onnx
from models.fraud.pipeline import export_artifact
from models.fraud.tabular import TabularParams, fit_tabular
from models.onnx_trees import (
    ML_DOMAIN,
    _Ensemble,
    float32_threshold,
    hist_gradient_boosting_node,
    isolation_forest_node,
)
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


def test_isolation_forest_routes_missing_values_per_node_like_scikit_learn() -> None:
    X, _ = _data()
    X[np.random.default_rng(1).random(X.shape) < 0.2] = np.nan  # NaN while fitting: learnt routing
    iso = IsolationForest(n_estimators=40, random_state=0).fit(X[:2000])
    flags = np.concatenate([e.tree_.missing_go_to_left[e.tree_.children_left != -1] for e in iso.estimators_])
    assert 0 < flags.mean() < 1  # some nodes send missing values right: "always left" would be wrong
    node, c = isolation_forest_node(iso, "x", "path")
    rows = np.vstack([X[2000:], np.full((1, 6), np.nan, dtype=np.float32)])
    path = onnx_predict(_single_node_graph(node, 6, "path"), rows, "path")
    assert np.max(np.abs(-(2.0 ** (-path / c)) - iso.score_samples(rows))) < 1e-5


def test_thresholds_round_down_to_float32_so_no_split_flips() -> None:
    v = np.float32(1.1)
    t = float(v) - 1e-12  # a float64 threshold just below a float32 value: nearest rounding gives v
    assert float(np.float32(t)) == float(v)
    assert float32_threshold(t) < float(v) and float32_threshold(float(v)) == float(v)
    ens = _Ensemble()
    ens.split(0, 0, 0, t, 1, 2, True)
    ens.leaf(0, 1, -1.0)
    ens.leaf(0, 2, 1.0)
    graph = _single_node_graph(ens.node("x", "y", base=0.0, aggregate="SUM", name="stump"), 1, "y")
    got = onnx_predict(graph, np.array([[v], [np.nextafter(v, np.float32(0))]], dtype=np.float32), "y")
    assert got.tolist() == [1.0, -1.0]  # v > t goes right, as in scikit-learn


def test_fraud_model_matches_scikit_learn_on_held_out_and_edge_rows() -> None:
    model = trained_model()
    artifact = export_artifact(model)
    X = model.holdout_X
    parity = artifact.metadata["parity"]
    assert parity["passed"] is True and parity["max_abs_diff"] <= 1e-4
    assert parity["rows"] > len(X) > 500 and parity["edge_rows"] > 100
    got = onnx_predict(artifact.onnx, X)
    assert np.max(np.abs(got - model.predict_proba(X))) < 1e-4


def test_parity_gate_refuses_a_graph_that_disagrees() -> None:
    model = trained_model()
    graph = to_onnx(model)
    wrong = model.predict_proba(model.holdout_X) + 0.01
    with pytest.raises(ParityError):
        check_parity(graph, model.holdout_X, wrong)


def test_export_refuses_when_the_converter_drifts_from_the_model(monkeypatch: pytest.MonkeyPatch) -> None:
    model = trained_model()
    drifted = dataclasses.replace(model.classifier, combiner_coef=model.classifier.combiner_coef * 1.5)
    drifted_graph = to_onnx(dataclasses.replace(model, classifier=drifted))
    monkeypatch.setattr("models.fraud.pipeline.to_onnx", lambda _m: drifted_graph)
    with pytest.raises(ParityError):
        export_artifact(model)


def test_the_gate_catches_a_graph_wrong_only_on_rows_with_nan(monkeypatch: pytest.MonkeyPatch) -> None:
    """The old bug: every missing value sent left. Holdout rows have no NaN and agree; the generated
    edge rows (NaN in every column) do not, so the version is refused."""
    from models.fraud import tabular_onnx

    real = tabular_onnx.isolation_forest_node

    def always_left(*args: object, **kwargs: object) -> tuple[onnx.NodeProto, float]:
        node, c = real(*args, **kwargs)  # type: ignore[arg-type]
        for attr in node.attribute:
            if attr.name == "nodes_missing_value_tracks_true":
                attr.ints[:] = [1] * len(attr.ints)
        return node, c

    monkeypatch.setattr(tabular_onnx, "isolation_forest_node", always_left)
    X, y = _data(1500)
    clf = fit_tabular(
        pd.DataFrame(X, columns=[f"x{i}" for i in range(6)]),
        y,
        params=TabularParams(folds=2, candidates=("ensemble",), hgb_max_iter=20, anomaly_trees=20),
    )
    graph = clf.to_onnx(check=False)
    holdout = pd.DataFrame(X[:200], columns=[f"x{i}" for i in range(6)])
    got = tabular_onnx.onnx_design_predict(graph, clf, clf.design(holdout), matrix_input=None)
    assert np.max(np.abs(got - clf.predict_proba(holdout))) < 1e-4  # the holdout alone passes
    with pytest.raises(ParityError, match="edge row"):
        clf.check_parity(graph)
