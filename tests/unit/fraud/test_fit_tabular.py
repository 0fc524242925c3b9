"""`fraud.fit_tabular` (ML.md "Evaluation entry points"): any table in, calibrated probabilities out,
an exact ONNX graph with one input per column, clear errors, and a candidate choice that falls back
to logistic regression when the trees do not clearly help."""

from __future__ import annotations

from functools import lru_cache

import numpy as np
import onnxruntime as ort
import pandas as pd
import pytest

from models import fraud
from models.fraud.tabular import TabularClassifier, TabularParams
from models.fraud.tabular_onnx import onnx_feed
from tests.ml_fixtures import fast_params

TREES = TabularParams(
    folds=3, hgb_max_iter=40, hgb_learning_rate=0.2, anomaly_trees=20, candidates=("ensemble",)
)


def mixed_table(n: int = 1200, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    """Numeric (with NaN), bool, text (with None) and pandas category columns; string labels."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(
        {
            "amount": rng.lognormal(3, 1, n),
            "age": rng.normal(40, 12, n),
            "new_card": rng.random(n) < 0.3,
            "channel": rng.choice(
                np.array(["web", "app", "phone", None], dtype=object), n, p=[0.5, 0.3, 0.15, 0.05]
            ),
            "state": pd.Categorical(rng.choice(list("ABCDEFGH"), n)),
        }
    )
    X.loc[rng.random(n) < 0.15, "age"] = np.nan
    logit = (
        0.8 * np.log(X["amount"])
        + 1.2 * X["new_card"]
        + 1.0 * (X["channel"] == "phone")
        + 0.8 * X["state"].isin(["A", "B"])
        + 0.5 * X["age"].isna()
        - 5.0
    )
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "fraud", "ok")
    return X, y


@lru_cache(maxsize=4)
def fitted(params: TabularParams = TREES) -> tuple[TabularClassifier, pd.DataFrame]:
    X, y = mixed_table()
    return fraud.fit_tabular(X, y, params=params), X


def onnx_scores(graph: bytes, clf: TabularClassifier, X: pd.DataFrame) -> np.ndarray:
    session = ort.InferenceSession(graph, providers=["CPUExecutionProvider"])
    (out,) = session.run(["probability"], onnx_feed(clf, X))
    return np.asarray(out, dtype=np.float64)


def test_string_labels_and_categorical_columns_train_and_export() -> None:
    for params in (TREES, fast_params()):
        clf, X = fitted(params)
        assert clf.positive == "fraud" and clf.negative == "ok"  # the minority label by default
        p = clf.predict_proba(X)
        assert p.shape == (len(X),) and np.all((p > 0) & (p < 1))
        graph = clf.to_onnx()  # parity-checked on reference + edge rows
        session = ort.InferenceSession(graph, providers=["CPUExecutionProvider"])
        inputs = {i.name: (i.type, i.shape) for i in session.get_inputs()}
        assert inputs["amount"] == ("tensor(float)", [None, 1])
        assert inputs["new_card"] == ("tensor(float)", [None, 1])
        assert inputs["channel"] == ("tensor(string)", [None, 1])
        assert inputs["state"] == ("tensor(string)", [None, 1])
        assert list(inputs) == list(X.columns)
        assert np.max(np.abs(onnx_scores(graph, clf, X) - p)) < 1e-4


def test_the_model_learns_the_planted_signal() -> None:
    clf, _ = fitted()
    held_out, y_new = mixed_table(seed=1)
    p = clf.predict_proba(held_out)
    assert p[y_new == "fraud"].mean() > 1.5 * p[y_new == "ok"].mean()


def test_bool_labels_and_explicit_positive() -> None:
    X, y = mixed_table(600)
    clf = fraud.fit_tabular(X, y == "fraud", params=fast_params())
    assert clf.positive is True
    flipped = fraud.fit_tabular(X, y, positive="ok", params=fast_params())
    assert flipped.positive == "ok"
    assert np.corrcoef(clf.predict_proba(X), flipped.predict_proba(X))[0, 1] < -0.9


def test_a_nan_row_scores_the_same_in_onnx_and_scikit_learn() -> None:
    clf, _ = fitted()  # trees + isolation forest: the NaN routing is the trees' per node
    nan_rows = pd.DataFrame(
        {
            "amount": [np.nan, np.nan, 20.0],
            "age": [np.nan, 30.0, np.nan],
            "new_card": [False, True, False],
            "channel": [None, "web", "never-seen"],
            "state": pd.Categorical([None, "A", "Z"]),
        }
    )
    want = clf.predict_proba(nan_rows)
    got = onnx_scores(clf.to_onnx(), clf, nan_rows)
    assert np.all(np.isfinite(want)) and np.max(np.abs(got - want)) < 1e-4
    assert abs(want[0] - want[1]) > 1e-3  # NaN is not silently imputed to an ordinary row


def test_wrong_column_count_is_a_clear_error_at_fit_and_export() -> None:
    clf, X = fitted(fast_params())
    with pytest.raises(ValueError, match="columns"):
        clf.predict_proba(X.drop(columns=["age"]))
    with pytest.raises(ValueError, match="columns"):
        clf.predict_proba(X.assign(extra=1.0))
    with pytest.raises(ValueError, match="3 columns but 15 feature names"):
        fraud.fit_tabular(np.zeros((50, 3)), np.arange(50) % 2, feature_names=[f"f{i}" for i in range(15)])
    from models.fraud.onnx_graph import to_onnx
    from models.fraud.training import train_matrix

    with pytest.raises(ValueError, match="15 columns"):
        train_matrix(np.zeros((500, 3), dtype=np.float32), np.arange(500) % 2)
    # A 3-column model handed to the 15-feature fraud export fails there, not inside onnxruntime.
    small = fraud.fit_tabular(
        pd.DataFrame(np.random.default_rng(0).normal(size=(200, 3))), np.arange(200) % 2, params=fast_params()
    )
    fake = type("T", (), {"classifier": small, "feature_names": tuple(f"f{i}" for i in range(15))})()
    with pytest.raises(ValueError, match="3 columns"):
        to_onnx(fake)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("y", "message"),
    [
        (np.zeros(100), "two distinct labels"),
        (np.arange(100) % 3, "two distinct labels"),
        (np.zeros((100, 2)), "one label per row"),
        (np.arange(99) % 2, "99 labels for 100 rows"),
        (np.r_[np.ones(1), np.zeros(99)], "at least 2 rows"),
    ],
)
def test_bad_labels_are_a_clear_value_error(y: np.ndarray, message: str) -> None:
    X = pd.DataFrame({"a": np.arange(100.0)})
    with pytest.raises(ValueError, match=message):
        fraud.fit_tabular(X, y)


def test_selection_picks_logistic_regression_on_a_small_linear_set() -> None:
    rng = np.random.default_rng(3)
    n = 240
    X = pd.DataFrame(rng.normal(size=(n, 6)), columns=[f"x{i}" for i in range(6)])
    logit = X.to_numpy() @ np.array([1.5, -1.0, 0.8, 0.0, 0.5, -0.7]) - 1.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    clf = fraud.fit_tabular(X, y, params=fast_params())
    assert clf.chosen == "logistic", clf.cv
    assert clf.cv["logistic"]["mean"] >= max(v["mean"] for k, v in clf.cv.items() if k != "logistic") - 0.05


def test_selection_picks_trees_when_the_signal_is_an_interaction() -> None:
    rng = np.random.default_rng(4)
    n = 3000
    X = pd.DataFrame(rng.uniform(-1, 1, size=(n, 3)), columns=["a", "b", "c"])
    y = ((X["a"] * X["b"] > 0.1) & (rng.random(n) < 0.9)).astype(int)  # XOR-like: no linear signal
    clf = fraud.fit_tabular(X, y, params=fast_params())
    assert clf.chosen != "logistic", clf.cv


def test_calibration_and_final_fit_use_every_row() -> None:
    X, y = mixed_table(400, seed=5)  # few positives
    clf = fraud.fit_tabular(X, y, params=fast_params())
    assert len(clf.oof_scores) == len(y) == clf.summary()["trainingRows"]
    assert clf.parts.lr is not None and clf.parts.lr.n_features_in_ == clf.parts.linear.width  # type: ignore[union-attr]
    # The final models saw all rows: refitting on a permutation of the same rows changes nothing.
    perm = np.random.default_rng(0).permutation(len(y))
    again = fraud.fit_tabular(X.iloc[perm], y[perm], params=fast_params())
    assert again.chosen != clf.chosen or np.allclose(again.predict_proba(X), clf.predict_proba(X), atol=0.05)
    # Sigmoid calibration on out-of-fold scores of all rows: predicted rate close to the real one.
    assert abs(clf.oof_scores.mean() - np.mean(y == clf.positive)) < 0.03
