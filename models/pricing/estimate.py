"""Per-product demand estimation with shared controls (numpy only).

    log units = a_p + beta_p * x~ + delta_p * promo~ + controls . gamma + e

x~ and promo~ are log price and promo centered within the product: every product has its own
level, own-price elasticity and promotion lift (lifts differ a lot between products, and promos
move price, so a shared lift would leak into the elasticities); the calendar and covariate
controls are shared. Solved exactly without the (rows x 3P) design: by Frisch-Waugh-Lovell, gamma
is the OLS of log units on the controls after both are residualized within each product on
[1, x~, promo~] (closed-form 2x2 per product, vectorized), then each product's slopes come from
its own rows. Rows x controls work only: 100k rows and ~1,000 products fit in well under a second.

Slow movers (more than SPARSE_ZERO_SHARE of their rows have zero units) are not fitted in logs:
dropping their zero days would bias the elasticity toward zero (only lucky days survive). They
get a per-product Poisson pseudo-likelihood fit of the same log-linear mean, with the shared
controls as an offset and a sandwich standard error (robust to over-dispersion).

Standard errors: a product's residual variance is shrunk toward the pooled one with PRIOR_DOF
pseudo-observations, so a product with 6 rows cannot get a near-zero variance by luck.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

PRIOR_DOF = 5.0
SPARSE_ZERO_SHARE = 0.3
MIN_PROMO_ROWS = 3  # promo rows (and non-promo rows) a product needs for its own promo effect
IDENT_TOL = 1e-6  # price variation below this (per row, in log units^2) is rounding, not signal


@dataclass(frozen=True)
class OwnEstimates:
    level: np.ndarray  # log expected units at the product's mean log price, promo share, average controls
    beta: np.ndarray  # own elasticity estimate (nan where not identified)
    se: np.ndarray  # its standard error (inf where not identified)
    delta: np.ndarray  # own promo effect (nan where the product has no promo variation)
    xbar: np.ndarray  # mean log price per product (over the rows it was fitted on)
    pbar: np.ndarray  # mean promo per product
    gamma: np.ndarray  # shared control coefficients
    n_obs: np.ndarray
    sparse: np.ndarray  # bool: fitted by Poisson pseudo-likelihood
    sigma2: float  # pooled residual variance (log fit)
    dropped_zero_rows: int


def _sums(idx: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(idx, weights=v, minlength=n)


@dataclass(frozen=True)
class _Local:
    """Within-product centered price and promo and their moments, for the rows of the log fit."""

    idx: np.ndarray
    xt: np.ndarray
    pt: np.ndarray
    counts: np.ndarray
    sxx: np.ndarray
    spp: np.ndarray
    sxp: np.ndarray
    promo_on: np.ndarray  # bool per product

    def solve(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Per-product mean of v and its slopes on (x~, promo~)."""
        n = len(self.counts)
        mean = _sums(self.idx, v, n) / np.maximum(self.counts, 1)
        sxv, spv = _sums(self.idx, self.xt * v, n), _sums(self.idx, self.pt * v, n)
        det = self.sxx * self.spp - self.sxp**2
        both = self.promo_on & (det > IDENT_TOL * self.counts)
        safe_det, safe_sxx = np.where(both, det, 1.0), np.where(self.sxx > 0, self.sxx, 1.0)
        safe_spp = np.where(self.spp > 0, self.spp, 1.0)
        beta = np.where(both, (self.spp * sxv - self.sxp * spv) / safe_det, np.where(self.sxx > 0, sxv / safe_sxx, 0.0))
        delta = np.where(both, (self.sxx * spv - self.sxp * sxv) / safe_det,
                         np.where(self.promo_on & (self.sxx == 0), spv / safe_spp, 0.0))
        return mean, beta, delta

    def residual(self, v: np.ndarray) -> np.ndarray:
        mean, beta, delta = self.solve(v)
        return v - mean[self.idx] - beta[self.idx] * self.xt - delta[self.idx] * self.pt

    def partial_sxx(self) -> np.ndarray:
        """Price variation left after the promo column: what identifies the elasticity."""
        det = self.sxx * self.spp - self.sxp**2
        return np.where(self.promo_on, det / np.where(self.spp > 0, self.spp, 1.0), self.sxx)


def _local(idx: np.ndarray, log_price: np.ndarray, promo: np.ndarray, n: int) -> tuple[_Local, np.ndarray, np.ndarray]:
    counts = np.bincount(idx, minlength=n).astype(float)
    xbar = _sums(idx, log_price, n) / np.maximum(counts, 1)
    pbar = _sums(idx, promo, n) / np.maximum(counts, 1)
    xt, pt = log_price - xbar[idx], promo - pbar[idx]
    sxx = _sums(idx, xt**2, n)
    sxx = np.where(sxx > IDENT_TOL * np.maximum(counts, 1), sxx, 0.0)
    on_rows = _sums(idx, (promo > 0).astype(float), n)
    promo_on = (on_rows >= MIN_PROMO_ROWS) & (counts - on_rows >= MIN_PROMO_ROWS)
    spp = np.where(promo_on, _sums(idx, pt**2, n), 0.0)
    sxp = np.where(promo_on, _sums(idx, xt * pt, n), 0.0)
    pt = np.where(promo_on[idx], pt, 0.0)
    return _Local(idx, xt, pt, counts, sxx, spp, sxp, promo_on), xbar, pbar


def _poisson(y: np.ndarray, x: np.ndarray, p: np.ndarray | None, offset: np.ndarray) -> tuple[np.ndarray, float]:
    """Poisson pseudo-ML of y on [1, x, p] with an offset: coefficients and the sandwich SE of x's."""
    Z = np.column_stack([np.ones_like(x), x] + ([p] if p is not None else []))
    coef = np.zeros(Z.shape[1])
    coef[0] = np.log(max(y.mean(), 1e-3) / np.mean(np.exp(offset)))
    for _ in range(50):
        mu = np.exp(np.clip(Z @ coef + offset, -30, 30))
        H = Z.T @ (Z * mu[:, None])
        step = np.linalg.lstsq(H, Z.T @ (y - mu), rcond=None)[0]
        coef += step
        if np.max(np.abs(step)) < 1e-9:
            break
    mu = np.exp(np.clip(Z @ coef + offset, -30, 30))
    H_inv = np.linalg.pinv(Z.T @ (Z * mu[:, None]))
    meat = Z.T @ (Z * ((y - mu) ** 2)[:, None])
    cov = H_inv @ meat @ H_inv * len(y) / max(len(y) - Z.shape[1], 1)
    return coef, float(np.sqrt(max(cov[1, 1], 0.0)))


def estimate(product: np.ndarray, units: np.ndarray, log_price: np.ndarray, promo: np.ndarray,
             controls: np.ndarray, n_products: int) -> OwnEstimates:
    zero_share = _sums(product, (units <= 0).astype(float), n_products) / np.maximum(
        np.bincount(product, minlength=n_products), 1)
    sparse = zero_share > SPARSE_ZERO_SHARE
    dense_rows = (units > 0) & ~sparse[product]
    if not dense_rows.any():  # every product is a slow mover: controls from the positive rows
        dense_rows = units > 0
    idx, y, C = product[dense_rows], np.log(units[dense_rows]), controls[dense_rows]
    loc, xbar, pbar = _local(idx, log_price[dense_rows], promo[dense_rows], n_products)
    if C.shape[1]:
        gamma = np.linalg.lstsq(np.column_stack([loc.residual(C[:, j]) for j in range(C.shape[1])]),
                                loc.residual(y), rcond=None)[0]
    else:
        gamma = np.zeros(0)
    z = y - C @ gamma
    level, beta, delta = loc.solve(z)
    resid = z - level[idx] - beta[idx] * loc.xt - delta[idx] * loc.pt
    rss = _sums(idx, resid**2, n_products)
    psxx = loc.partial_sxx()
    k_local = 1 + (psxx > 0) + loc.promo_on
    sigma2 = float(rss.sum() / max(len(z) - k_local.sum() - C.shape[1], 1))
    var_p = (rss + PRIOR_DOF * sigma2) / np.maximum(loc.counts - k_local + PRIOR_DOF, 1.0)
    ident = (psxx > 0) & (loc.counts >= 3)
    se = np.where(ident, np.sqrt(var_p / np.where(psxx > 0, psxx, 1.0)), np.inf)
    smear = _sums(idx, np.exp(resid), n_products) / np.maximum(loc.counts, 1)
    level = level + np.log(np.where(smear > 0, smear, 1.0))  # Duan smearing: a mean, not a median
    beta, delta = np.where(ident, beta, np.nan), np.where(loc.promo_on, delta, np.nan)
    n_obs = loc.counts.astype(np.int64)
    for p in np.flatnonzero(sparse):
        rows = product == p
        lp, pr = log_price[rows], promo[rows]
        xbar[p], pbar[p], n_obs[p] = lp.mean(), pr.mean(), int(rows.sum())
        x = lp - xbar[p]
        use_promo = MIN_PROMO_ROWS <= np.sum(pr > 0) <= rows.sum() - MIN_PROMO_ROWS
        ok = np.sum(x**2) > IDENT_TOL * rows.sum() and np.sum(units[rows] > 0) >= 3
        coef, s = _poisson(units[rows], x, pr - pbar[p] if use_promo else None, controls[rows] @ gamma)
        level[p] = coef[0]
        beta[p], se[p] = (coef[1], s) if ok and s > 0 else (np.nan, np.inf)
        delta[p] = coef[2] if use_promo else np.nan
    return OwnEstimates(
        level=level, beta=beta, se=se, delta=delta, xbar=xbar, pbar=pbar, gamma=gamma, n_obs=n_obs,
        sparse=sparse, sigma2=sigma2, dropped_zero_rows=int(np.sum((units <= 0) & ~sparse[product])),
    )
