"""The fraud pipeline learns the generator's patterns and refuses data it cannot learn from."""

from __future__ import annotations

import numpy as np
import pytest

from models import fraud
from models.fraud.training import FraudParams, train_matrix
from tests.ml_fixtures import small_frame, trained_model


def test_the_ensemble_ranks_fraud_far_above_chance_on_the_newest_rows() -> None:
    model = trained_model()
    base_rate = model.metrics["holdout_fraud_rate"]
    assert model.metrics["pr_auc"] > 0.75 > 5 * base_rate
    assert model.metrics["recall_at_1pct_fpr"] > 0.6
    assert model.data_window["from"] is not None and model.data_window["from"] < model.data_window["to"]


def test_the_holdout_is_the_newest_slice_and_scores_are_probabilities() -> None:
    model = trained_model()
    frame = small_frame()
    assert len(model.holdout_y) == model.metrics["holdout_rows"]
    assert np.array_equal(
        model.holdout_y, frame["is_fraud"][np.argsort(frame["at"], kind="stable")][-len(model.holdout_y) :]
    )
    p = model.predict_proba(model.holdout_X.astype(np.float64))
    assert np.all((p >= 0) & (p <= 1))


def test_entry_point_accepts_plain_columns() -> None:
    frame = {k: v[:2500] for k, v in small_frame().items()}
    model = fraud.train(frame, label="is_fraud", params=FraudParams(max_iter=10, anomaly_trees=10))
    assert model.metrics["holdout_rows"] == 500


def test_too_few_rows_or_a_single_class_is_refused() -> None:
    X = np.zeros((50, 15), dtype=np.float32)
    with pytest.raises(ValueError, match="too few"):
        train_matrix(X, np.zeros(50))
    with pytest.raises(ValueError, match="both"):
        train_matrix(np.zeros((1000, 15), dtype=np.float32), np.zeros(1000))
