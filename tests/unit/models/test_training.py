"""The order fraud model trains through fit_tabular: it learns the generator's patterns with honest
(out-of-fold) metrics, keeps every row for learning, and refuses data it cannot learn from."""

from __future__ import annotations

import numpy as np
import pytest

from models import fraud
from models.fraud.training import train_matrix
from tests.ml_fixtures import fast_params, small_frame, trained_model


def test_the_model_ranks_fraud_far_above_chance_out_of_fold() -> None:
    model = trained_model()
    base_rate = model.metrics["fraud_rate"]
    assert model.metrics["pr_auc"] > 0.75 > 5 * base_rate
    assert model.metrics["recall_at_1pct_fpr"] > 0.6
    assert model.data_window["from"] is not None and model.data_window["from"] < model.data_window["to"]
    # Chosen by cross-validation among the candidates; each candidate's score is recorded.
    assert set(model.classifier.cv) == {"logistic", "hgb", "ensemble", "blend"}
    assert model.params_json()["chosen"] == model.classifier.chosen


def test_every_row_is_learnt_from_and_the_holdout_is_the_newest_slice() -> None:
    model = trained_model()
    frame = small_frame()
    assert model.metrics["training_rows"] == len(frame["is_fraud"]) == len(model.classifier.oof_scores)
    assert np.array_equal(
        model.holdout_y, frame["is_fraud"][np.argsort(frame["at"], kind="stable")][-len(model.holdout_y) :]
    )
    p = model.predict_proba(model.holdout_X)
    assert np.all((p >= 0) & (p <= 1))


def test_entry_point_accepts_plain_columns_and_names_missing_ones() -> None:
    frame = {k: v[:2500] for k, v in small_frame().items()}
    model = fraud.train(frame, label="is_fraud", params=fast_params())
    assert model.metrics["holdout_rows"] == 500
    with pytest.raises(ValueError, match="amount"):
        fraud.train({k: v for k, v in frame.items() if k != "amount"}, label="is_fraud")


def test_too_few_rows_or_a_single_class_is_refused() -> None:
    X = np.zeros((50, 15), dtype=np.float32)
    with pytest.raises(ValueError, match="too few"):
        train_matrix(X, np.zeros(50))
    with pytest.raises(ValueError, match="both"):
        train_matrix(np.zeros((1000, 15), dtype=np.float32), np.zeros(1000))


def test_string_labels_train_the_order_model_too() -> None:
    frame = {k: v[:2000] for k, v in small_frame().items()}
    frame["is_fraud"] = np.where(frame["is_fraud"] == 1, "fraud", "legit")
    model = fraud.train(frame, label="is_fraud", params=fast_params())
    assert model.classifier.oof_labels.sum() == (frame["is_fraud"] == "fraud").sum()
