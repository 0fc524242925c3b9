"""A/B statistics against published figures and the chi-square distribution's known values."""

from __future__ import annotations

import math

import pytest

from shared.recommendations.stats import chi2_sf, relative_lift, srm_check, two_proportion_test


def test_two_proportion_test_matches_the_textbook_aspirin_example() -> None:
    # Agresti, "An Introduction to Categorical Data Analysis" (2nd ed., 2007), sec. 2.2, Table 2.3:
    # the Physicians' Health Study, myocardial infarction in 189 of 11,034 on placebo and 104 of
    # 11,037 on aspirin. Agresti reports proportions 0.0171 and 0.0094, a relative risk of 1.82
    # with 95 % interval (1.43, 2.30) and, for the 2x2 table, Pearson X^2 = 25.0 (= z^2 here).
    test = two_proportion_test(104, 11037, 189, 11034)  # control = aspirin, treatment = placebo
    assert test is not None
    z, p = test
    assert z**2 == pytest.approx(25.01, abs=0.02)
    assert p < 1e-6 and p == pytest.approx(math.erfc(abs(z) / math.sqrt(2)))
    lifted = relative_lift(104, 11037, 189, 11034)
    assert lifted is not None
    lift, ci = lifted
    assert 1 + lift == pytest.approx(1.82, abs=0.005)
    assert ci is not None
    assert 1 + ci[0] == pytest.approx(1.43, abs=0.005)
    assert 1 + ci[1] == pytest.approx(2.30, abs=0.01)


def test_equal_rates_are_not_significant() -> None:
    test = two_proportion_test(100, 1000, 100, 1000)
    assert test is not None
    assert test[0] == 0.0 and test[1] == pytest.approx(1.0)
    lifted = relative_lift(100, 1000, 100, 1000)
    assert lifted is not None and lifted[0] == 0.0
    lo, hi = lifted[1] or (0.0, 0.0)
    assert lo < 0 < hi


def test_undefined_cases_return_none_rather_than_dividing_by_zero() -> None:
    assert two_proportion_test(0, 0, 5, 10) is None
    assert two_proportion_test(0, 10, 0, 10) is None  # no variance
    assert relative_lift(0, 10, 3, 10) is None  # no control rate
    lifted = relative_lift(3, 10, 0, 10)
    assert lifted is not None and lifted == (-1.0, None)


@pytest.mark.parametrize(
    ("chi2", "df", "p"),
    # Critical values of the chi-square distribution (any statistics table).
    [
        (3.841459, 1, 0.05),
        (6.634897, 1, 0.01),
        (5.991465, 2, 0.05),
        (7.814728, 3, 0.05),
        (16.918978, 9, 0.05),
        (10.827566, 1, 0.001),
        (0.0, 4, 1.0),
    ],
)
def test_chi2_survival_function_matches_tables(chi2: float, df: int, p: float) -> None:
    assert chi2_sf(chi2, df) == pytest.approx(p, rel=1e-5, abs=1e-12)


def test_srm_fires_on_a_70_30_split_declared_50_50() -> None:
    result = srm_check([7000, 3000], [0.5, 0.5])
    assert result.chi2 == pytest.approx(1600.0)
    assert not result.ok and result.p_value < 1e-100


def test_srm_fires_on_a_small_but_real_imbalance_and_not_on_noise() -> None:
    assert not srm_check([5250, 4750], [1, 1]).ok  # chi2 = 25, p ~ 6e-7
    assert srm_check([5040, 4960], [1, 1]).ok  # chi2 = 0.64
    assert srm_check([5000, 2500, 2500], [50, 25, 25]).ok  # weights need not sum to 1
    assert srm_check([0, 0], [1, 1]).ok  # nothing observed yet
