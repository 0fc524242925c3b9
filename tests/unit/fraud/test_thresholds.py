"""Review/reject cut-offs come from a budget (settings), per model version, not from constants."""

from __future__ import annotations

import numpy as np
import pytest

from models import fraud
from models.thresholds import ThresholdBudget, budget_thresholds
from shared.settings import Settings
from tests.ml_fixtures import fast_params, small_frame


def scores(n: int = 20_000, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    y = rng.random(n) < 0.05
    s = 1 / (1 + np.exp(-(rng.normal(-3, 1.2, n) + 3.0 * y)))
    return s, y


@pytest.mark.parametrize("fpr", [0.001, 0.01, 0.05])
def test_the_review_cut_off_keeps_legitimate_rows_within_the_false_positive_budget(fpr: float) -> None:
    s, y = scores()
    t = budget_thresholds(s, y, ThresholdBudget(review_fpr=fpr, reject_fpr=fpr / 10))
    flagged_legit = float(np.mean(np.round(s[~y], 4) >= t["review"]))
    assert flagged_legit <= fpr and flagged_legit > fpr * 0.7  # uses the budget, not far below it
    assert t["expected"]["review"]["falsePositiveRate"] == pytest.approx(flagged_legit)
    assert t["reject"] >= t["review"]


def test_a_looser_budget_lowers_the_cut_off_and_review_capacity_caps_it() -> None:
    s, y = scores()
    strict = budget_thresholds(s, y, ThresholdBudget(review_fpr=0.005))
    loose = budget_thresholds(s, y, ThresholdBudget(review_fpr=0.05))
    assert (
        loose["review"] < strict["review"]
        and loose["expected"]["review"]["recall"] > strict["expected"]["review"]["recall"]
    )
    capped = budget_thresholds(s, y, ThresholdBudget(review_fpr=0.05, review_capacity=0.02))
    assert capped["review"] > loose["review"] and np.mean(np.round(s, 4) >= capped["review"]) <= 0.02


def test_budget_values_are_validated() -> None:
    with pytest.raises(ValueError):
        ThresholdBudget(review_fpr=1.5)
    with pytest.raises(ValueError):
        Settings(FRAUD_REVIEW_FPR=-0.1)


def test_thresholds_follow_the_budget_setting_and_are_stored_with_the_version() -> None:
    frame = {k: v[:4000] for k, v in small_frame().items()}
    cut_offs = {}
    for fpr in (0.002, 0.05):
        budget = ThresholdBudget.from_settings(Settings(FRAUD_REVIEW_FPR=fpr, FRAUD_REJECT_FPR=0.001))
        trained = fraud.train(frame, label="is_fraud", params=fast_params(), budget=budget)
        stored = fraud.export(trained).metadata["thresholds"]
        assert stored["budget"]["reviewFpr"] == fpr
        legit = trained.classifier.oof_scores[trained.classifier.oof_labels == 0]
        assert np.mean(np.round(legit, 4) >= stored["review"]) <= fpr
        cut_offs[fpr] = stored["review"]
    assert cut_offs[0.05] < cut_offs[0.002]
