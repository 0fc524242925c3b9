"""Table -> float32 design matrix for `fit_tabular`: column kinds, label encoding, category codes.

Numpy (and pandas when a DataFrame is passed) only: the ONNX graph (models.fraud.tabular_onnx)
reproduces exactly what `encode` does, so this module is the single definition of the inputs.

- numeric and bool columns -> float32, NaN = missing (pandas NA too);
- object / category / string columns -> str, "" = missing -> a float code: the training
  categories seen at least `min_count` times are ordered by their smoothed positive rate (so a tree
  split on the code groups similar categories) and numbered 0..K-1; any other category is K
  ("other"); missing is NaN (the trees learn where missing goes).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

Kind = Literal["numeric", "category"]


@dataclass(frozen=True)
class Column:
    name: str
    kind: Kind
    categories: tuple[str, ...] = ()  # category columns: code i = categories[i]; others -> len()

    @property
    def other_code(self) -> float:
        return float(len(self.categories))


def as_frame(X: Any, feature_names: Sequence[str] | None = None) -> Any:
    """A pandas DataFrame from a DataFrame or a 2-D array (columns named x0.. or `feature_names`)."""
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        if feature_names is not None and list(map(str, X.columns)) != list(feature_names):
            raise ValueError(
                f"X has {X.shape[1]} columns {list(map(str, X.columns))[:5]}..., "
                f"expected the {len(feature_names)} named {list(feature_names)[:5]}..."
            )
        frame = X
    else:
        arr = np.asarray(X)
        if arr.ndim != 2:
            raise ValueError(f"X must be a 2-D table (rows x columns), got shape {arr.shape}")
        names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(arr.shape[1])]
        if len(names) != arr.shape[1]:
            raise ValueError(f"X has {arr.shape[1]} columns but {len(names)} feature names were given")
        frame = pd.DataFrame(arr, columns=names)
    if frame.shape[1] == 0:
        raise ValueError("X has no columns")
    names = [str(c) for c in frame.columns]
    if len(set(names)) != len(names):
        raise ValueError("X has duplicate column names")
    if names != list(frame.columns):  # ONNX inputs are named by strings
        frame = frame.set_axis(names, axis=1)
    return frame


def column_kind(series: Any) -> Kind:
    import pandas as pd

    dtype = series.dtype
    if pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_numeric_dtype(dtype):
        return "numeric"
    if (
        isinstance(dtype, pd.CategoricalDtype)
        or pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
    ):
        return "category"
    raise ValueError(
        f"column {series.name!r} has an unsupported type {dtype} (numeric, bool or text/category)"
    )


def numeric_values(series: Any) -> np.ndarray:
    """float32 values, NaN for missing; infinities are refused (float32 ONNX inputs cannot carry them)."""
    import pandas as pd

    values = pd.to_numeric(
        series.astype("float64") if pd.api.types.is_bool_dtype(series.dtype) else series, errors="raise"
    )
    out = np.asarray(pd.Series(values).astype("float64").to_numpy(na_value=np.nan), dtype=np.float64)
    if np.isinf(out).any():
        raise ValueError(f"column {series.name!r} has infinite values; use NaN for missing")
    big = np.abs(out) > np.finfo(np.float32).max
    if big.any():
        raise ValueError(f"column {series.name!r} has values beyond float32 range")
    return out.astype(np.float32)


def text_values(series: Any) -> np.ndarray:
    """str values, "" for missing (the ONNX string inputs' convention)."""
    import pandas as pd

    s = series.astype(object)
    missing = pd.isna(s).to_numpy()
    out = np.array([("" if m else str(v)) for v, m in zip(s.to_numpy(), missing, strict=True)], dtype=object)
    return out


def encode_labels(y: Any, n_rows: int, positive: Any = None) -> tuple[np.ndarray, Any, Any]:
    """(y as 0/1 int64, positive label, negative label). Default positive: 1 / True / the minority."""
    arr = np.asarray(y, dtype=object)
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"y must be one label per row, got shape {np.shape(y)}")
    if len(arr) != n_rows:
        raise ValueError(f"y has {len(arr)} labels for {n_rows} rows")
    import pandas as pd

    if pd.isna(pd.Series(arr)).any():
        raise ValueError("y has missing labels")
    labels = list(dict.fromkeys(arr.tolist()))
    if len(labels) != 2:
        raise ValueError(f"y must have exactly two distinct labels, got {len(labels)}: {labels[:5]}")
    if positive is None:
        for candidate in (True, 1):
            if any(type(v) is not str and v == candidate for v in labels):
                positive = next(v for v in labels if type(v) is not str and v == candidate)
                break
        else:
            counts = {lab: int(sum(1 for v in arr if v == lab)) for lab in labels}
            positive = min(sorted(labels, key=str), key=lambda lab: counts[lab])
    if not any(v == positive for v in labels):
        raise ValueError(f"positive label {positive!r} is not one of {labels}")
    negative = next(v for v in labels if v != positive)
    encoded = np.fromiter((1 if v == positive else 0 for v in arr), dtype=np.int64, count=len(arr))
    return encoded, _plain(positive), _plain(negative)


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def fit_columns(frame: Any, y: np.ndarray, *, min_count: int = 5, smoothing: float = 10.0) -> list[Column]:
    """Column kinds and category codes learnt from the training rows."""
    prior = float(np.mean(y))
    columns = []
    for name in frame.columns:
        series = frame[name]
        kind = column_kind(series)
        if kind == "numeric":
            columns.append(Column(str(name), "numeric"))
            continue
        values = text_values(series)
        present = values != ""
        cats, inverse, counts = np.unique(
            values[present].astype(str), return_inverse=True, return_counts=True
        )
        pos = np.bincount(inverse, weights=y[present], minlength=len(cats))
        rate = (pos + smoothing * prior) / (counts + smoothing)
        keep = counts >= min_count
        order = sorted(np.flatnonzero(keep), key=lambda i: (rate[i], str(cats[i])))
        columns.append(Column(str(name), "category", tuple(str(cats[i]) for i in order)))
    return columns


def encode(frame: Any, columns: Sequence[Column]) -> np.ndarray:
    """The float32 design matrix [n, len(columns)] the tree models and the linear view read."""
    names = [str(c) for c in frame.columns]
    expected = [c.name for c in columns]
    if names != expected:
        raise ValueError(
            f"X has {len(names)} columns, the model was fitted on {len(expected)}: "
            f"missing {sorted(set(expected) - set(names))[:5]}, "
            f"unexpected {sorted(set(names) - set(expected))[:5]}"
            if set(names) != set(expected)
            else "X has the model's columns in another order; reorder them as at fit time"
        )
    out = np.empty((len(frame), len(columns)), dtype=np.float32)
    for j, col in enumerate(columns):
        series = frame[col.name]
        if col.kind == "numeric":
            if column_kind(series) != "numeric":
                raise ValueError(f"column {col.name!r} was numeric at fit time, got {series.dtype}")
            out[:, j] = numeric_values(series)
        else:
            out[:, j] = category_codes(text_values(series), col)
    return out


def category_codes(values: np.ndarray, col: Column) -> np.ndarray:
    lookup = {c: float(i) for i, c in enumerate(col.categories)}
    return np.fromiter(
        (np.nan if v == "" else lookup.get(str(v), col.other_code) for v in values),
        dtype=np.float32,
        count=len(values),
    )
