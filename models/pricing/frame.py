"""`fit_demand` input checks and the numeric arrays it fits on (training side: pandas)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from models.pricing.features import YEAR_DAYS, FeatureSpec, raw_controls

REQUIRED = ("product_id", "period", "units", "price")
RESERVED = {*REQUIRED, "promo", "category"}
MIN_TREND_SPAN_DAYS = 56
MIN_SEASON_SPAN = 0.8  # yearly season controls once the data span 80% of a year


@dataclass(frozen=True)
class DemandData:
    products: list[Any]  # product ids, in index order
    categories: list[str | None]  # per product
    product: np.ndarray  # int index per row
    units: np.ndarray  # >= 0
    log_price: np.ndarray
    promo: np.ndarray  # 0..1 (zeros when the frame has no promo column)
    t: np.ndarray  # period numbers (days since 1970-01-01 for dates)
    controls_raw: np.ndarray  # uncentered calendar columns + scaled covariates
    period_first: str
    period_last: str
    ignored_columns: list[str]


def _period_numbers(col: Any) -> tuple[np.ndarray, str]:
    import pandas as pd

    if pd.api.types.is_bool_dtype(col):
        raise ValueError("column 'period' must hold dates or integers, not booleans")
    if pd.api.types.is_integer_dtype(col):
        return col.to_numpy(dtype=float), "int"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "could not infer format": we raise below if it fails
            dt = pd.to_datetime(col)
    except (ValueError, TypeError) as exc:
        raise ValueError("column 'period' must hold dates (or ISO date strings) or integers") from exc
    if dt.isna().any():
        raise ValueError("column 'period' has missing values")
    days = dt.dt.tz_localize(None) if dt.dt.tz is not None else dt
    return (days.to_numpy(dtype="datetime64[D]").astype(np.int64)).astype(float), "date"


def _numeric(frame: Any, name: str) -> np.ndarray:
    import pandas as pd

    col = frame[name]
    if not (pd.api.types.is_numeric_dtype(col) and not pd.api.types.is_bool_dtype(col)) and name != "promo":
        raise ValueError(f"column {name!r} must be numeric")
    values = col.to_numpy(dtype=float)
    if not np.all(np.isfinite(values)):
        raise ValueError(f"column {name!r} has missing or infinite values")
    return values


def _covariates(frame: Any) -> tuple[list[str], list[np.ndarray], list[bool], list[str]]:
    import pandas as pd

    names, cols, logs, ignored = [], [], [], []
    for name in frame.columns:
        if name in RESERVED:
            continue
        col = frame[name]
        if pd.api.types.is_bool_dtype(col):
            values = col.to_numpy(dtype=float)
        elif pd.api.types.is_numeric_dtype(col):
            values = _numeric(frame, name)
        else:
            ignored.append(str(name))  # text columns (store names, notes) are not controls
            continue
        use_log = "price" in str(name).lower() and bool(np.all(values > 0))
        v = np.log(values) if use_log else values
        if float(np.std(v)) == 0.0:
            ignored.append(str(name))  # a constant column is absorbed by the intercepts
            continue
        names.append(str(name))
        cols.append(values)
        logs.append(use_log)
    return names, cols, logs, ignored


def prepare(frame: Any, season_period: float | None = None) -> tuple[DemandData, FeatureSpec]:
    import pandas as pd

    if not isinstance(frame, pd.DataFrame):
        raise ValueError("fit_demand expects a pandas DataFrame")
    missing = [c for c in REQUIRED if c not in frame.columns]
    if missing:
        raise ValueError(f"missing column(s) {', '.join(missing)}; need {', '.join(REQUIRED)}")
    if frame["product_id"].isna().any():
        raise ValueError("column 'product_id' has missing values")
    units, price = _numeric(frame, "units"), _numeric(frame, "price")
    if np.any(units < 0):
        raise ValueError("column 'units' must not be negative")
    if np.any(price <= 0):
        raise ValueError("column 'price' must be positive")
    promo = _numeric(frame, "promo") if "promo" in frame.columns else None
    if promo is not None and (np.any(promo < 0) or np.any(promo > 1)):
        raise ValueError("column 'promo' must be 0/1 (or the share of the period on promotion)")
    t, kind = _period_numbers(frame["period"])
    names, cov_cols, logs, ignored = _covariates(frame)
    if int(np.sum(units > 0)) < 3:
        raise ValueError("need at least 3 rows with units > 0")
    codes, uniques = pd.factorize(frame["product_id"].to_numpy(), sort=True)
    products = [u.item() if hasattr(u, "item") else u for u in uniques]
    categories: list[str | None] = [None] * len(products)
    if "category" in frame.columns:
        first = pd.Series(frame["category"].to_numpy()).groupby(codes).first()
        categories = [None if pd.isna(c) else str(c) for c in first.reindex(range(len(products)))]
    span = float(t.max() - t.min())
    unique_t = np.unique(t)
    if kind == "date":
        daily = len(unique_t) > 1 and float(np.min(np.diff(unique_t))) == 1.0
        fourier = YEAR_DAYS if span >= MIN_SEASON_SPAN * YEAR_DAYS else None
        use_trend, scale = span >= MIN_TREND_SPAN_DAYS, YEAR_DAYS
    else:
        daily = False
        fourier = float(season_period) if season_period and span >= MIN_SEASON_SPAN * season_period else None
        use_trend, scale = len(unique_t) >= 8, max(span, 1.0)
    cov = np.column_stack(cov_cols) if cov_cols else np.zeros((len(units), 0))
    cov_t = (
        np.column_stack([np.log(cov[:, j]) if logs[j] else cov[:, j] for j in range(len(names))])
        if names
        else cov
    )
    spec = FeatureSpec(
        period_kind=kind,
        use_dow=daily,
        fourier_period=fourier,
        use_trend=use_trend,
        trend_origin=float(t.min()),
        trend_scale=float(scale),
        promo=promo is not None and float(np.std(promo)) > 0,
        covariates=tuple(names),
        covariate_log=tuple(logs),
        covariate_center=tuple(float(v) for v in cov_t.mean(axis=0)),
        covariate_scale=tuple(float(v) for v in cov_t.std(axis=0)),
    )
    data = DemandData(
        products=products,
        categories=categories,
        product=codes.astype(np.int64),
        units=units,
        log_price=np.log(price),
        promo=promo if promo is not None else np.zeros(len(units)),
        t=t,
        controls_raw=raw_controls(spec, t, cov),
        period_first=_period_label(float(t.min()), kind),
        period_last=_period_label(float(t.max()), kind),
        ignored_columns=ignored,
    )
    return data, spec


def _period_label(value: float, kind: str) -> str:
    if kind == "int":
        return str(int(value))
    return str(np.datetime64(int(value), "D"))
