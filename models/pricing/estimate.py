"""Per-product demand estimation with shared controls (numpy only).

    log units = a_p + beta_p * x~ + delta_p * promo~ + g_p . season~ + controls . gamma + e

x~, promo~ and season~ (the first yearly harmonic) are centered within the product: every
product has its own level, own-price elasticity, promotion lift and yearly season (lifts and
seasons differ between products, and both move with price -- promos cut prices, list prices
change with the season -- so shared ones would leak into the elasticities). A product gets its own
season only when its history spans most of a year (LOCAL_SEASON_SPAN); the calendar and
covariate controls are shared. Solved exactly without the (rows x 5P) design: by
Frisch-Waugh-Lovell, gamma is the OLS of log units on the controls after both are residualized
within each product on its local columns (batched small solves), then each product's slopes come
from its own rows. 100k rows and ~1,000 products fit in about a second.

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
MAX_ELASTICITY = 15.0  # own-price elasticities beyond this are fitting artefacts, not demand
COLLINEAR = 1e-3  # price variation left after the other local columns, as a share of its own


@dataclass(frozen=True)
class OwnEstimates:
    level: np.ndarray  # log expected units at the product's mean local columns and average controls
    beta: np.ndarray  # own elasticity estimate (nan where not identified)
    se: np.ndarray  # its standard error (inf where not identified)
    delta: np.ndarray  # own promo effect (nan where the product has no promo variation)
    season: np.ndarray  # (P, s) own season coefficients (nan where not fitted)
    means: np.ndarray  # (P, 2 + s) product means of log price, promo, season columns
    gamma: np.ndarray  # shared control coefficients
    n_obs: np.ndarray
    sparse: np.ndarray  # bool: fitted by Poisson pseudo-likelihood
    sigma2: float  # pooled residual variance (log fit)
    dropped_zero_rows: int


def _sums(idx: np.ndarray, v: np.ndarray, n: int) -> np.ndarray:
    return np.bincount(idx, weights=v, minlength=n)


class _Local:
    """Within-product centered local columns, their per-product Gram inverses, and projections."""

    def __init__(self, idx: np.ndarray, L: np.ndarray, active: np.ndarray, n: int):
        self.idx, self.n = idx, n
        self.counts = np.bincount(idx, minlength=n).astype(float)
        safe = np.maximum(self.counts, 1)[:, None]
        self.means = np.stack([_sums(idx, L[:, j], n) for j in range(L.shape[1])], axis=1) / safe
        self.L = np.where(active[idx], L - self.means[idx], 0.0)
        q = L.shape[1]
        M = np.empty((n, q, q))
        for a in range(q):
            for b in range(a, q):
                M[:, a, b] = M[:, b, a] = _sums(idx, self.L[:, a] * self.L[:, b], n)
        self.diag = np.diagonal(M, axis1=1, axis2=2).copy()
        M[~active] = 0.0
        eye = np.broadcast_to(np.eye(q), M.shape)
        M = np.where((~active)[:, :, None] & (~active)[:, None, :] & (eye > 0), 1.0, M)
        self.Minv = np.linalg.pinv(M)
        self.M = M
        self.active = active

    def price_partial(self) -> np.ndarray:
        """Per product, the price variation left after the other local columns (the Schur
        complement). Not 1 / Minv[0, 0]: with price exactly collinear with another column (a new
        product whose only price changes were promotions) the pseudo-inverse stays finite and
        that read as identified, with an elasticity of ~0 and a tiny standard error."""
        others, b = self.M[:, 1:, 1:], self.M[:, 1:, 0]
        sol = np.einsum("pij,pj->pi", np.linalg.pinv(others), b)
        return self.M[:, 0, 0] - np.einsum("pi,pi->p", b, sol)

    def coef(self, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        mean = _sums(self.idx, v, self.n) / np.maximum(self.counts, 1)
        Lv = np.stack([_sums(self.idx, self.L[:, j] * v, self.n) for j in range(self.L.shape[1])], axis=1)
        return mean, np.einsum("pij,pj->pi", self.Minv, Lv)

    def residual(self, v: np.ndarray) -> np.ndarray:
        mean, coef = self.coef(v)
        return v - mean[self.idx] - np.sum(self.L * coef[self.idx], axis=1)

    def price_identified(self) -> np.ndarray:
        partial = self.price_partial()
        return self.active[:, 0] & (partial > COLLINEAR * self.diag[:, 0]) & (self.counts >= 3)


def _poisson(y: np.ndarray, Z: np.ndarray, offset: np.ndarray) -> tuple[np.ndarray, float, bool]:
    """Poisson pseudo-ML of y on [1, Z] with an offset: coefficients, the sandwich SE of Z[:, 0]'s,
    and whether Newton converged. Steps are halved until the log-likelihood does not fall: a slow
    mover whose own season is nearly collinear with its level (under a year of history) otherwise
    overshot into the exp clip and "converged" on elasticities of +-100 with tiny standard errors."""
    Z = np.column_stack([np.ones(len(y)), Z])
    coef = np.zeros(Z.shape[1])
    coef[0] = np.log(max(y.mean(), 1e-3) / np.mean(np.exp(offset)))

    def loglik(c: np.ndarray) -> float:
        eta = np.clip(Z @ c + offset, -30, 30)
        return float(np.sum(y * eta - np.exp(eta)))

    converged = False
    for _ in range(100):
        mu = np.exp(np.clip(Z @ coef + offset, -30, 30))
        step = np.linalg.lstsq(Z.T @ (Z * mu[:, None]), Z.T @ (y - mu), rcond=None)[0]
        base, t = loglik(coef), 1.0
        while t > 1e-6 and loglik(coef + t * step) < base - 1e-9 * (1 + abs(base)):
            t /= 2
        coef += t * step
        if np.max(np.abs(t * step)) < 1e-9:
            converged = True
            break
    mu = np.exp(np.clip(Z @ coef + offset, -30, 30))
    H_inv = np.linalg.pinv(Z.T @ (Z * mu[:, None]))
    cov = H_inv @ (Z.T @ (Z * ((y - mu) ** 2)[:, None])) @ H_inv * len(y) / max(len(y) - Z.shape[1], 1)
    return coef, float(np.sqrt(max(cov[1, 1], 0.0))), converged


def _active(product: np.ndarray, L: np.ndarray, season_ok: np.ndarray, n: int) -> np.ndarray:
    counts = np.bincount(product, minlength=n).astype(float)
    safe = np.maximum(counts, 1)
    x = L[:, 0] - (_sums(product, L[:, 0], n) / safe)[product]
    price_on = _sums(product, x**2, n) > IDENT_TOL * safe
    on_rows = _sums(product, (L[:, 1] > 0).astype(float), n)
    promo_on = (on_rows >= MIN_PROMO_ROWS) & (counts - on_rows >= MIN_PROMO_ROWS)
    s = L.shape[1] - 2
    return np.column_stack([price_on, promo_on] + [season_ok] * s)


def estimate(
    product: np.ndarray,
    units: np.ndarray,
    log_price: np.ndarray,
    promo: np.ndarray,
    season: np.ndarray,
    season_ok: np.ndarray,
    controls: np.ndarray,
    n_products: int,
) -> OwnEstimates:
    P = n_products
    zero_share = _sums(product, (units <= 0).astype(float), P) / np.maximum(
        np.bincount(product, minlength=P), 1
    )
    sparse = zero_share > SPARSE_ZERO_SHARE
    dense_rows = (units > 0) & ~sparse[product]
    if not dense_rows.any():  # every product is a slow mover: controls from the positive rows
        dense_rows = units > 0
    L_all = np.column_stack([log_price, promo, season])
    idx, y, C = product[dense_rows], np.log(units[dense_rows]), controls[dense_rows]
    active = _active(idx, L_all[dense_rows], season_ok, P)
    loc = _Local(idx, L_all[dense_rows], active, P)
    gamma = np.zeros(C.shape[1])
    if C.shape[1]:
        R = np.column_stack([loc.residual(C[:, j]) for j in range(C.shape[1])])
        # a control the local columns fully explain (e.g. a harmonic every product has its own
        # of) carries no shared information: leave it at zero instead of fitting rounding noise
        keep = np.linalg.norm(R, axis=0) > 1e-6 * np.maximum(np.linalg.norm(C, axis=0), 1e-12)
        if keep.any():
            gamma[keep] = np.linalg.lstsq(R[:, keep], loc.residual(y), rcond=None)[0]
    z = y - C @ gamma
    level, coef = loc.coef(z)
    resid = z - level[idx] - np.sum(loc.L * coef[idx], axis=1)
    rss = _sums(idx, resid**2, P)
    k_local = 1 + active.sum(axis=1)
    sigma2 = float(rss.sum() / max(len(z) - k_local.sum() - C.shape[1], 1))
    var_p = (rss + PRIOR_DOF * sigma2) / np.maximum(loc.counts - k_local + PRIOR_DOF, 1.0)
    ident = loc.price_identified()
    se = np.where(ident, np.sqrt(var_p * np.where(ident, loc.Minv[:, 0, 0], 1.0)), np.inf)
    smear = _sums(idx, np.exp(resid), P) / np.maximum(loc.counts, 1)
    level = level + np.log(np.where(smear > 0, smear, 1.0))  # Duan smearing: a mean, not a median
    beta = np.where(ident, coef[:, 0], np.nan)
    delta = np.where(active[:, 1], coef[:, 1], np.nan)
    season_coef = np.where(active[:, 2:], coef[:, 2:], np.nan)
    means, n_obs = loc.means.copy(), loc.counts.astype(np.int64)
    for p in np.flatnonzero(sparse):
        rows = product == p
        Lp = L_all[rows]
        means[p], n_obs[p] = Lp.mean(axis=0), int(rows.sum())
        act = _active(np.zeros(int(rows.sum()), dtype=np.int64), Lp, season_ok[p : p + 1], 1)[0]
        act[0] = True  # the price column stays in (first), identified or not
        Z = (Lp - means[p])[:, act]
        fit, s_beta, converged = _poisson(units[rows], Z, controls[rows] @ gamma)
        # Not identified (pooled to the category instead): no price variation, too few sales, a
        # fit that did not converge, or an elasticity no retail demand has (|e| > MAX_ELASTICITY).
        others = Z[:, 1:]
        left = (
            Z[:, 0] - others @ np.linalg.lstsq(others, Z[:, 0], rcond=None)[0] if others.shape[1] else Z[:, 0]
        )
        ok = bool(
            np.sum(Z[:, 0] ** 2) > IDENT_TOL * rows.sum()
            and np.sum(left**2) > COLLINEAR * np.sum(Z[:, 0] ** 2)
            and np.sum(units[rows] > 0) >= 3
            and s_beta > 0
            and converged
            and abs(fit[1]) <= MAX_ELASTICITY
        )
        level[p] = fit[0]
        beta[p], se[p] = (fit[1], s_beta) if ok else (np.nan, np.inf)
        full = np.full(L_all.shape[1], np.nan)
        full[act] = fit[1:]
        delta[p], season_coef[p] = full[1], full[2:]
    return OwnEstimates(
        level=level,
        beta=beta,
        se=se,
        delta=delta,
        season=season_coef,
        means=means,
        gamma=gamma,
        n_obs=n_obs,
        sparse=sparse,
        sigma2=sigma2,
        dropped_zero_rows=int(np.sum((units <= 0) & ~sparse[product])),
    )
