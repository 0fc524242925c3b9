"""A/B statistics in pure Python (the serving path has no scipy).

- `two_proportion_test`: pooled two-proportion z-test, two-sided p = erfc(|z| / sqrt 2).
- `relative_lift`: (p_t / p_c) - 1 with a 95 % interval from the log risk ratio (Katz et al.
  1978; the interval Agresti, *An Introduction to Categorical Data Analysis*, sec. 2.2 uses).
- `srm_check`: sample-ratio mismatch, Pearson chi-square of observed exposures against the
  declared split, p from the chi-square survival function (regularised upper incomplete gamma,
  Numerical Recipes' series / continued fraction). Flagged when p < 0.001, the threshold used in
  practice (Fabijan et al., "Diagnosing Sample Ratio Mismatch in Online Controlled Experiments",
  KDD 2019): with thousands of users a true split almost never falls that far off.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z95 = 1.959963984540054
SRM_ALPHA = 0.001


def normal_sf_two_sided(z: float) -> float:
    return math.erfc(abs(z) / math.sqrt(2.0))


def two_proportion_test(x_c: int, n_c: int, x_t: int, n_t: int) -> tuple[float, float] | None:
    """(z, two-sided p) for treatment vs control; None when undefined (no users, or no variance)."""
    if n_c <= 0 or n_t <= 0:
        return None
    pooled = (x_c + x_t) / (n_c + n_t)
    se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / n_c + 1.0 / n_t))
    if se == 0.0:
        return None
    z = (x_t / n_t - x_c / n_c) / se
    return z, normal_sf_two_sided(z)


def relative_lift(x_c: int, n_c: int, x_t: int, n_t: int) -> tuple[float, tuple[float, float] | None] | None:
    """(lift, 95 % interval) of treatment over control; None without a control rate."""
    if n_c <= 0 or n_t <= 0 or x_c <= 0:
        return None
    p_c, p_t = x_c / n_c, x_t / n_t
    lift = p_t / p_c - 1.0
    if x_t <= 0:
        return lift, None  # the log ratio is unbounded below: no finite interval
    se = math.sqrt((1.0 - p_t) / x_t + (1.0 - p_c) / x_c)
    log_ratio = math.log(p_t / p_c)
    return lift, (math.exp(log_ratio - Z95 * se) - 1.0, math.exp(log_ratio + Z95 * se) - 1.0)


def _gamma_q(a: float, x: float) -> float:
    """Regularised upper incomplete gamma Q(a, x)."""
    if x <= 0.0:
        return 1.0
    log_prefix = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1.0:  # series for P, then Q = 1 - P
        term = total = 1.0 / a
        ap = a
        for _ in range(1000):
            ap += 1.0
            term *= x / ap
            total += term
            if abs(term) < abs(total) * 1e-15:
                break
        return max(0.0, 1.0 - total * math.exp(log_prefix))
    # Lentz's continued fraction for Q
    tiny = 1e-300
    b = x + 1.0 - a
    c = 1.0 / tiny
    d = 1.0 / b
    h = d
    for i in range(1, 1000):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < 1e-15:
            break
    return min(1.0, math.exp(log_prefix) * h)


def chi2_sf(chi2: float, df: int) -> float:
    """P(X >= chi2) for a chi-square variable with `df` degrees of freedom."""
    if df < 1:
        raise ValueError("df must be at least 1")
    return _gamma_q(df / 2.0, chi2 / 2.0)


@dataclass(frozen=True)
class SrmResult:
    chi2: float
    p_value: float
    ok: bool


def srm_check(observed: Sequence[int], weights: Sequence[float], *, alpha: float = SRM_ALPHA) -> SrmResult:
    """Observed units per variant against the declared weights (same order)."""
    total = sum(observed)
    weight_sum = sum(weights)
    if total == 0 or len(observed) < 2 or weight_sum <= 0:
        return SrmResult(0.0, 1.0, True)
    chi2 = 0.0
    for count, weight in zip(observed, weights, strict=True):
        expected = total * weight / weight_sum
        chi2 += (count - expected) ** 2 / expected if expected > 0 else 0.0
    p = chi2_sf(chi2, len(observed) - 1)
    return SrmResult(chi2, p, p >= alpha)
