"""Empirical-Bayes partial pooling of per-product elasticities (numpy only).

Each product's own estimate b_i has a standard error s_i. Within a group (a category, or every
product when there are no categories or a category has too few identified products), the true
elasticities are taken as draws from N(mu, tau^2). mu and tau^2 come from the DerSimonian-Laird
method of moments (the random-effects meta-analysis estimator), and each product's posterior is

    B_i = s_i^2 / (s_i^2 + tau^2)                   the shrinkage weight (0 = own estimate)
    post_i = (1 - B_i) b_i + B_i mu
    var_i  = (1 - B_i) s_i^2 + B_i^2 var(mu)         (Morris' approximation)

A product whose price never moved (s_i infinite) gets its group's mu with variance tau^2 +
var(mu): the prediction for a new member of the group. A sparse product (few rows, little price
variation) has a large s_i and lands near its category; a well-measured one keeps its estimate.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

MIN_GROUP = 3  # identified products a category needs for its own prior; fewer: the global prior


@dataclass(frozen=True)
class Prior:
    mu: float
    mu_var: float
    tau2: float
    n: int  # identified products it was estimated from


def random_effects(b: np.ndarray, s: np.ndarray) -> Prior:
    """DerSimonian-Laird estimate of (mu, tau^2) from finite estimates b with standard errors s."""
    ok = np.isfinite(b) & np.isfinite(s) & (s > 0)
    b, s = b[ok], s[ok]
    if len(b) == 0:
        raise ValueError("no product has price variation: the own-price elasticity is not identifiable")
    w = 1.0 / s**2
    if len(b) == 1:
        return Prior(float(b[0]), float(s[0] ** 2), 0.0, 1)
    mu_fe = float(np.sum(w * b) / np.sum(w))
    q = float(np.sum(w * (b - mu_fe) ** 2))
    denom = float(np.sum(w) - np.sum(w**2) / np.sum(w))
    tau2 = max(0.0, (q - (len(b) - 1)) / denom) if denom > 0 else 0.0
    w_re = 1.0 / (s**2 + tau2)
    mu = float(np.sum(w_re * b) / np.sum(w_re))
    return Prior(mu, float(1.0 / np.sum(w_re)), tau2, len(b))


def shrink(b: np.ndarray, s: np.ndarray, prior: Prior) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Posterior means, posterior standard deviations and shrinkage weights B for one group."""
    post = np.empty_like(b)
    var = np.empty_like(b)
    weight = np.ones_like(b)
    ok = np.isfinite(b) & np.isfinite(s) & (s > 0)
    # a single identified product (n == 1, tau2 == 0) is its own prior: nothing to pool with
    pooled = prior.tau2 > 0 or prior.n > 1
    B = s[ok] ** 2 / (s[ok] ** 2 + prior.tau2) if pooled else np.zeros(int(ok.sum()))
    post[ok] = (1 - B) * b[ok] + B * prior.mu
    var[ok] = (1 - B) * s[ok] ** 2 + B**2 * prior.mu_var
    weight[ok] = B
    post[~ok] = prior.mu
    var[~ok] = prior.tau2 + prior.mu_var
    return post, np.sqrt(var), weight


def pool(
    b: np.ndarray, s: np.ndarray, groups: list[str | None]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, Prior, dict[str, Prior]]:
    """Shrink every product toward its category prior (or the global one). Returns post, sd, B,
    the global prior and the per-category priors actually used."""
    global_prior = random_effects(b, s)
    post, sd, weight = np.empty_like(b), np.empty_like(b), np.empty_like(b)
    names = np.array(["" if g is None else g for g in groups], dtype=object)
    used: dict[str, Prior] = {}
    for name in dict.fromkeys(names.tolist()):
        idx = np.flatnonzero(names == name)
        identified = int(np.sum(np.isfinite(s[idx]) & (s[idx] > 0)))
        prior = random_effects(b[idx], s[idx]) if name and identified >= MIN_GROUP else global_prior
        if name:
            used[name] = prior
        post[idx], sd[idx], weight[idx] = shrink(b[idx], s[idx], prior)
    return post, sd, weight, global_prior, used
