"""fit_tabular's selection rule: an alternative (a tree candidate, or a stronger-regularized logistic
regression) replaces the default only when its *paired* per-fold gain clears one standard error
corrected for overlapping CV training sets, and wins on more than half of the folds."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from models import fraud
from models.fraud.tabular import TabularParams, _prefer, paired_gain
from tests.ml_fixtures import fast_params

BASE = np.array([0.50, 0.52, 0.48, 0.51, 0.49])


def test_a_gain_inside_the_corrected_standard_error_does_not_clear() -> None:
    d = np.array([0.03, -0.005, 0.025, -0.01, 0.01])  # mean 0.01, wins 3 of 5 folds
    naive_se = d.std(ddof=1) / np.sqrt(len(d))
    assert d.mean() > naive_se  # the old rule (sd / sqrt(J)) would have switched on this noise
    pref = paired_gain(BASE, BASE + d, n_splits=5, margin=1.0)
    assert pref.gain == pytest.approx(0.01)
    assert pref.se == pytest.approx(d.std(ddof=1) * np.sqrt(1 / 5 + 1 / 4))
    assert not pref.clears


def test_a_consistent_gain_clears_and_a_few_big_folds_do_not() -> None:
    steady = paired_gain(BASE, BASE + np.array([0.02, 0.025, 0.015, 0.02, 0.03]), n_splits=5, margin=1.0)
    assert steady.clears and steady.win_share == 1.0
    lucky = BASE + np.array([0.2, 0.2, -0.001, -0.001, -0.001])  # big mean gain, loses 3 of 5 folds
    pref = paired_gain(BASE, lucky, n_splits=5, margin=1.0)
    assert pref.gain > pref.se and not pref.clears


def test_prefer_keeps_the_default_unless_an_alternative_clears_then_takes_the_largest_gain() -> None:
    noisy = BASE + np.array([0.03, -0.005, 0.025, -0.01, 0.01])
    small = BASE + 0.01 + np.array([0.0, 0.002, -0.002, 0.001, -0.001])
    large = BASE + 0.03 + np.array([0.0, 0.002, -0.002, 0.001, -0.001])
    assert _prefer("logistic", {"logistic": BASE, "blend": noisy}, 5, 1.0)[0] == "logistic"
    chosen, prefs = _prefer(
        "logistic", {"logistic": BASE, "blend": noisy, "hgb": small, "ens": large}, 5, 1.0
    )
    assert chosen == "ens" and set(prefs) == {"blend", "hgb", "ens"}
    assert _prefer(1.0, {1.0: BASE, 0.1: small}, 5, 1.0)[0] == 0.1


FIVE_FOLDS = TabularParams(folds=5, hgb_max_iter=60, hgb_learning_rate=0.15, anomaly_trees=30)


def wide_noisy_table(seed: int = 0, n: int = 2000) -> tuple[pd.DataFrame, np.ndarray]:
    """One informative column among a 150-level noise category and 60 noise columns; ~6% positive:
    the one-hot view has far more weights than the positives can pin down."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame(rng.normal(size=(n, 60)), columns=[f"noise{i}" for i in range(60)])
    X["signal"] = rng.normal(size=n)
    X["state"] = rng.choice([f"s{i}" for i in range(150)], n).astype(object)
    y = (rng.random(n) < 1 / (1 + np.exp(-(1.2 * X["signal"] - 3.4)))).astype(int)
    return X, y


def test_few_positives_and_a_wide_one_hot_view_choose_stronger_regularization() -> None:
    X, y = wide_noisy_table()
    assert 80 < y.sum() < 180
    clf = fraud.fit_tabular(X, y, params=FIVE_FOLDS)
    sel = clf.selection
    assert sel["repeats"] == 2 and sel["folds"] == 5  # < 500 positives: the K-fold CV is repeated
    assert sel["lrC"] < 1.0, sel
    assert clf.params.lr_c == sel["lrC"] and clf.parts.lr is not None and sel["lrC"] == clf.parts.lr.C
    assert clf.chosen == "logistic", clf.cv  # the trees see only noise besides one linear column
    assert {"gain", "gainSe", "winShare"} <= set(clf.cv["hgb"])
    assert clf.summary()["selection"] == sel and clf.params_json()["lr_c"] == sel["lrC"]
    # Held out: the regularized choice ranks new rows better than the default C would have.
    Xn, yn = wide_noisy_table(seed=1, n=4000)
    default = fraud.fit_tabular(X, y, params=TabularParams(candidates=("logistic",), lr_c_grid=()))
    assert default.selection["lrC"] == 1.0
    from models.metrics import average_precision

    assert average_precision(yn, clf.predict_proba(Xn)) > average_precision(yn, default.predict_proba(Xn))


def test_plenty_of_positives_and_a_clean_linear_signal_keep_the_default_c_and_one_repeat() -> None:
    rng = np.random.default_rng(7)
    n = 3000
    X = pd.DataFrame(rng.normal(size=(n, 4)), columns=list("abcd"))
    y = (rng.random(n) < 1 / (1 + np.exp(-(X.to_numpy() @ np.array([2.0, -1.5, 1.0, 0.5]))))).astype(int)
    clf = fraud.fit_tabular(X, y, params=fast_params())
    assert clf.selection["repeats"] == 1
    assert clf.selection["lrC"] == 1.0, clf.selection
    assert clf.chosen == "logistic", clf.cv
