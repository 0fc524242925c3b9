"""The fitted demand model: per-product elasticities (pooled), predictions, summary (numpy only)."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from statistics import NormalDist
from typing import Any

import numpy as np

from models.pricing.estimate import estimate
from models.pricing.features import (
    FeatureSpec,
    control_matrix,
    default_covariates,
    feature_rows,
    period_number,
)
from models.pricing.frame import DemandData
from models.pricing.shrinkage import Prior, pool

DEFAULT_LEVEL = 0.9


def _z(level: float) -> float:
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    return NormalDist().inv_cdf(0.5 + level / 2)


@dataclass
class DemandModel:
    products: list[Any]
    categories: list[str | None]
    spec: FeatureSpec
    alpha: np.ndarray  # log units = alpha + beta * log price + delta * promo + controls . gamma
    delta: np.ndarray  # promo effect (log units) per product; the median one where a product never had promos
    gamma: np.ndarray  # (P, k) control coefficients per product: shared ones, plus the product's own season
    beta: np.ndarray  # pooled (posterior) elasticities: what predictions use
    beta_sd: np.ndarray
    beta_own: np.ndarray  # the product's own estimate (nan if its price never moved)
    beta_own_se: np.ndarray
    shrinkage: np.ndarray  # weight on the prior (0 = own estimate, 1 = category/pooled)
    n_obs: np.ndarray
    sparse: np.ndarray  # slow movers, fitted by Poisson pseudo-likelihood
    level: np.ndarray  # log expected units at the product's mean price and promo share, average period
    price_min: np.ndarray
    price_max: np.ndarray
    sigma2: float
    pooled: Prior
    category_priors: dict[str, Prior]
    data_window: dict[str, Any]
    dropped_zero_rows: int = 0
    ignored_columns: list[str] = field(default_factory=list)
    _index: dict[Any, int] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self._index = {p: i for i, p in enumerate(self.products)}

    # ---- the ML.md contract -------------------------------------------------------------------
    def elasticity(self, product_id: Any = None) -> float:
        """Own-price elasticity d log(units) / d log(price); the pooled (random-effects) one when None."""
        if product_id is None:
            return self.pooled.mu
        return float(self.beta[self.index(product_id)])

    def predict_units(
        self,
        product_id: Any,
        price: Any,
        period: Any = None,
        *,
        promo: float = 0.0,
        covariates: dict[str, float] | None = None,
    ) -> Any:
        """Expected units at `price` (a number -> float, an array -> array) in `period` (None: average)."""
        prices = np.atleast_1d(np.asarray(price, dtype=float))
        if np.any(~np.isfinite(prices)) or np.any(prices <= 0):
            raise ValueError("price must be positive")
        units = np.exp(
            self.log_units(self.features(product_id, prices, period, promo=promo, covariates=covariates))
        )
        return float(units[0]) if np.ndim(price) == 0 else units

    # ---- intervals, categories, serving inputs ------------------------------------------------
    def elasticity_interval(
        self, product_id: Any = None, level: float = DEFAULT_LEVEL
    ) -> tuple[float, float]:
        if product_id is None:
            mid, sd = self.pooled.mu, math.sqrt(self.pooled.mu_var)
        else:
            i = self.index(product_id)
            mid, sd = float(self.beta[i]), float(self.beta_sd[i])
        half = _z(level) * sd
        return mid - half, mid + half

    def category_elasticity(self, category: str) -> float:
        if category not in self.category_priors:
            raise ValueError(f"unknown category {category!r}")
        return self.category_priors[category].mu

    def index(self, product_id: Any) -> int:
        try:
            return self._index[product_id]
        except (KeyError, TypeError):
            raise ValueError(f"unknown product {product_id!r}") from None

    def features(
        self,
        product_id: Any,
        prices: np.ndarray,
        period: Any = None,
        *,
        promo: float = 0.0,
        covariates: dict[str, float] | None = None,
    ) -> np.ndarray:
        """ONNX input rows [product index, log price, promo, controls] for one product at several prices."""
        i = self.index(product_id)
        n = len(prices)
        if not 0 <= promo <= 1:
            raise ValueError("promo must be between 0 and 1")
        t = None if period is None else np.full(n, period_number(period, self.spec.period_kind))
        controls = control_matrix(self.spec, t, default_covariates(self.spec, covariates, n))
        return feature_rows(np.full(n, i), np.log(prices), np.full(n, float(promo)), controls, np.float64)

    def log_units(self, rows: np.ndarray) -> np.ndarray:
        """The model on ONNX-layout rows, in float64: what the graph must reproduce."""
        rows = np.asarray(rows, dtype=np.float64)
        idx = rows[:, 0].astype(np.int64)
        out = self.alpha[idx] + self.beta[idx] * rows[:, 1] + self.delta[idx] * rows[:, 2]
        if self.gamma.shape[1]:
            out = out + np.sum(rows[:, 3:] * self.gamma[idx], axis=1)
        return out

    def summary(self, level: float = DEFAULT_LEVEL) -> list[dict[str, Any]]:
        """One JSON-friendly row per product: estimate, interval, own estimate, pooling, data."""
        z = _z(level)
        rows = []
        for i, p in enumerate(self.products):
            own, own_se = self.beta_own[i], self.beta_own_se[i]
            rows.append(
                {
                    "productId": p,
                    "category": self.categories[i],
                    "elasticity": float(self.beta[i]),
                    "interval": [
                        float(self.beta[i] - z * self.beta_sd[i]),
                        float(self.beta[i] + z * self.beta_sd[i]),
                    ],
                    "ownEstimate": None if not np.isfinite(own) else float(own),
                    "ownStdError": None if not np.isfinite(own_se) else float(own_se),
                    "shrinkage": float(self.shrinkage[i]),
                    "promoEffect": float(self.delta[i]),
                    "slowMover": bool(self.sparse[i]),
                    "rows": int(self.n_obs[i]),
                    "priceRange": [float(self.price_min[i]), float(self.price_max[i])],
                }
            )
        return rows


LOCAL_SEASON_SPAN = 0.8  # share of a season period a product's history must span for its own season
LOCAL_SEASON_MIN_ROWS = 30
LOCAL_SEASON = ("season_sin1", "season_cos1")


def _median(v: np.ndarray, axis: int | None = None) -> Any:
    finite = np.isfinite(v).all(axis=1) if v.ndim == 2 else np.isfinite(v)
    if not finite.any():
        return np.zeros(v.shape[1]) if v.ndim == 2 else 0.0
    return np.median(v[finite], axis=0)


def fit(data: DemandData, spec: FeatureSpec) -> DemandModel:
    names = spec.names
    n_cal = len(names) - len(spec.covariates)
    center = tuple(float(v) for v in data.controls_raw[:, :n_cal].mean(axis=0))
    spec = dataclasses.replace(spec, center=center)
    controls = data.controls_raw.copy()
    controls[:, :n_cal] -= np.asarray(center)
    P = len(data.products)
    season_cols = [names.index(c) for c in LOCAL_SEASON if c in names]
    season_ok = np.zeros(P, dtype=bool)
    if season_cols and spec.fourier_period:
        t_min, t_max = np.full(P, np.inf), np.full(P, -np.inf)
        np.minimum.at(t_min, data.product, data.t)
        np.maximum.at(t_max, data.product, data.t)
        rows = np.bincount(data.product, minlength=P)
        season_ok = (t_max - t_min >= LOCAL_SEASON_SPAN * spec.fourier_period) & (
            rows >= LOCAL_SEASON_MIN_ROWS
        )
    season = controls[:, season_cols]
    own = estimate(data.product, data.units, data.log_price, data.promo, season, season_ok, controls, P)
    post, sd, weight, pooled, cats = pool(own.beta, own.se, data.categories)
    delta = np.where(np.isfinite(own.delta), own.delta, float(_median(own.delta)))
    # products without their own season take the typical one (the median of those fitted)
    g = np.where(np.isfinite(own.season).all(axis=1)[:, None], own.season, _median(own.season))
    gamma = np.tile(own.gamma, (P, 1))
    gamma[:, season_cols] += g
    # fold the centering into one intercept, with the pooled elasticity (what predictions use)
    alpha = (
        own.level - post * own.means[:, 0] - delta * own.means[:, 1] - np.sum(g * own.means[:, 2:], axis=1)
    )
    price = np.exp(data.log_price)
    pmin = np.full(P, np.inf)
    pmax = np.zeros(P)
    np.minimum.at(pmin, data.product, price)
    np.maximum.at(pmax, data.product, price)
    return DemandModel(
        products=data.products,
        categories=data.categories,
        spec=spec,
        alpha=alpha,
        delta=delta,
        gamma=gamma,
        beta=post,
        beta_sd=sd,
        beta_own=own.beta,
        beta_own_se=own.se,
        shrinkage=weight,
        n_obs=own.n_obs,
        sparse=own.sparse,
        level=own.level,
        price_min=pmin,
        price_max=pmax,
        sigma2=own.sigma2,
        pooled=pooled,
        category_priors=cats,
        data_window={"first": data.period_first, "last": data.period_last, "rows": len(data.units)},
        dropped_zero_rows=own.dropped_zero_rows,
        ignored_columns=data.ignored_columns,
    )
