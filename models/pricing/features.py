"""The demand model's control columns, in numpy + stdlib only: training and serving share this code.

Controls (each centered on its training mean, so an all-zero row is "an average period at the
average covariates and the average promotion share"):

- calendar, when `period` is a date: 6 day-of-week dummies (daily data only), a yearly Fourier
  pair set (K=2) when the data span at least a year, and a linear trend (years) when they span at
  least 8 weeks; when `period` is an int: the trend, plus a Fourier set of `season_period` if given.
- every other numeric column, as given; columns named like "*price*" with positive values enter
  as logs (cross-price elasticities), the others standardized.

Promotions are not a shared control: each product has its own promo effect (models.pricing.estimate).
The feature row layout the ONNX graph takes is `[product_index, log_price, promo, *controls]`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from typing import Any

import numpy as np

EPOCH = date(1970, 1, 1)
FOURIER_K = 2
YEAR_DAYS = 365.25


@dataclass(frozen=True)
class FeatureSpec:
    period_kind: str  # "date" (values are days since 1970-01-01) or "int"
    use_dow: bool
    fourier_period: float | None  # in period units (days for dates)
    use_trend: bool
    trend_origin: float
    trend_scale: float  # period units per trend unit (a year for dates)
    promo: bool
    covariates: tuple[str, ...]
    covariate_log: tuple[bool, ...]
    covariate_center: tuple[float, ...]
    covariate_scale: tuple[float, ...]
    center: tuple[float, ...] = field(default=())  # training means of the calendar/promo columns

    @property
    def names(self) -> list[str]:
        out: list[str] = []
        if self.use_dow:
            out += [f"dow_{d}" for d in range(1, 7)]
        if self.fourier_period:
            for k in range(1, FOURIER_K + 1):
                out += [f"season_sin{k}", f"season_cos{k}"]
        if self.use_trend:
            out.append("trend")
        return out + [f"cov_{c}" for c in self.covariates]

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> FeatureSpec:
        fields = dict(data)
        for key in ("covariates", "covariate_log", "covariate_center", "covariate_scale", "center"):
            fields[key] = tuple(fields.get(key, ()))
        return cls(**fields)


def period_number(value: Any, kind: str) -> float:
    """A period as a number: days since 1970-01-01 for dates (date, datetime, ISO string), else int."""
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
            raise ValueError(f"period must be a number for this model, got {value!r}")
        return float(value)
    if isinstance(value, np.datetime64):
        return float(value.astype("datetime64[D]").astype(np.int64))
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return float((value - EPOCH).days)
    raise ValueError(f"period must be a date (or ISO date string) for this model, got {value!r}")


def _calendar(spec: FeatureSpec, t: np.ndarray) -> list[np.ndarray]:
    cols: list[np.ndarray] = []
    if spec.use_dow:
        dow = (np.floor(t).astype(np.int64) + 3) % 7  # 1970-01-01 was a Thursday: Monday = 0
        cols += [(dow == d).astype(float) for d in range(1, 7)]
    if spec.fourier_period:
        angle = 2 * math.pi * t / spec.fourier_period
        for k in range(1, FOURIER_K + 1):
            cols += [np.sin(k * angle), np.cos(k * angle)]
    if spec.use_trend:
        cols.append((t - spec.trend_origin) / spec.trend_scale)
    return cols


def raw_controls(spec: FeatureSpec, t: np.ndarray | None, covariates: np.ndarray) -> np.ndarray:
    """Uncentered calendar columns (t=None: the training means) and the scaled covariates."""
    n = len(covariates)
    n_cal = len(spec.names) - len(spec.covariates)
    if n_cal and t is not None:
        cal = np.column_stack(_calendar(spec, np.asarray(t, dtype=float)))
    elif n_cal:
        cal = np.tile(np.asarray(spec.center, dtype=float), (n, 1))
    else:
        cal = np.zeros((n, 0))
    return np.hstack([cal, _covariate_block(spec, covariates, n)])


def _covariate_block(spec: FeatureSpec, covariates: np.ndarray, n: int) -> np.ndarray:
    if not spec.covariates:
        return np.zeros((n, 0))
    x = np.asarray(covariates, dtype=float).reshape(n, len(spec.covariates))
    out = np.empty_like(x)
    for j, use_log in enumerate(spec.covariate_log):
        v = np.log(x[:, j]) if use_log else x[:, j]
        out[:, j] = (v - spec.covariate_center[j]) / spec.covariate_scale[j]
    return out


def control_matrix(spec: FeatureSpec, t: np.ndarray | None, covariates: np.ndarray) -> np.ndarray:
    """Centered controls: calendar columns minus their training means, covariates standardized."""
    raw = raw_controls(spec, t, covariates)
    k = len(spec.center)
    if k:
        raw[:, :k] = raw[:, :k] - np.asarray(spec.center, dtype=float)
    return raw


def feature_rows(
    product_index: np.ndarray,
    log_price: np.ndarray,
    promo: np.ndarray,
    controls: np.ndarray,
    dtype: type = np.float32,
) -> np.ndarray:
    """The ONNX input [n, 3 + n_controls] (float32; the numpy model keeps float64)."""
    return np.column_stack([product_index.astype(float), log_price, promo, controls]).astype(dtype)


def default_covariates(spec: FeatureSpec, given: dict[str, float] | None, n: int) -> np.ndarray:
    """Covariates in raw units; a missing one takes its training mean (geometric for logged ones)."""
    given = given or {}
    unknown = set(given) - set(spec.covariates)
    if unknown:
        raise ValueError(f"unknown covariate(s) {', '.join(sorted(unknown))}")
    cols = []
    for name, use_log, center in zip(spec.covariates, spec.covariate_log, spec.covariate_center, strict=True):
        default = math.exp(center) if use_log else center
        value = float(given.get(name, default))
        if use_log and value <= 0:
            raise ValueError(f"covariate {name!r} must be positive")
        cols.append(np.full(n, value))
    return np.column_stack(cols) if cols else np.zeros((n, 0))
