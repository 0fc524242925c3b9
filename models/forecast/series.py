"""`forecast.fit` input checks: the series' values, its frequency and its season length."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

MIN_POINTS = 3
# offset class name (pandas) -> observations per season
SEASON_BY_OFFSET = (
    ("BusinessDay", 5),
    ("Day", 7),
    ("Hour", 24),
    ("Week", 52),
    ("Month", 12),
    ("Quarter", 4),
    ("Year", 1),
)


@dataclass(frozen=True)
class Series:
    values: np.ndarray  # float64, no NaN
    season_length: int
    freq: str | None  # pandas frequency string when the input had a time index
    last: Any  # last index label (Timestamp / Period) or None
    interpolated: int  # interior missing values filled linearly

    @property
    def nonnegative(self) -> bool:
        return bool(np.all(self.values >= 0))


def season_from_offset(offset: Any) -> int:
    name = type(offset).__name__
    for key, season in SEASON_BY_OFFSET:
        if key in name:
            n = int(getattr(offset, "n", 1) or 1)
            return season // n if n > 0 and season % n == 0 else 1
    raise ValueError(f"cannot infer season_length from frequency {offset!r}: pass season_length=")


def _frequency(index: Any) -> tuple[Any, str]:
    import pandas as pd

    if isinstance(index, pd.PeriodIndex):
        return index.freq, index.freqstr
    if isinstance(index, pd.DatetimeIndex):
        freq = index.freq
        if freq is None and len(index) >= 3:
            inferred = pd.infer_freq(index)
            freq = pd.tseries.frequencies.to_offset(inferred) if inferred else None
        if freq is None:
            raise ValueError(
                "the series' dates are not regularly spaced: reindex it to one frequency "
                "(for sales, missing days are days with 0 units)"
            )
        return freq, freq.freqstr
    raise ValueError("y must be indexed by a DatetimeIndex or PeriodIndex (or pass season_length=)")


def prepare(y: Any, season_length: int | None) -> Series:
    import pandas as pd

    if season_length is not None and (
        isinstance(season_length, bool) or int(season_length) != season_length or season_length < 1
    ):
        raise ValueError("season_length must be a positive integer")
    freq_str: str | None = None
    last = None
    if isinstance(y, pd.Series):
        if isinstance(y.index, pd.DatetimeIndex | pd.PeriodIndex):
            offset, freq_str = _frequency(y.index)
            if season_length is None:
                season_length = season_from_offset(offset)
        elif season_length is None:
            raise ValueError("y must be indexed by a DatetimeIndex or PeriodIndex, or pass season_length=")
        try:
            values = y.to_numpy(dtype=float)
        except (TypeError, ValueError) as exc:
            raise ValueError("y must hold numbers") from exc
        labels = y.index
    else:
        if season_length is None:
            raise ValueError("a plain array has no frequency: pass season_length= (or a pandas Series)")
        try:
            values = np.asarray(y, dtype=float).reshape(-1)
        except (TypeError, ValueError) as exc:
            raise ValueError("y must hold numbers") from exc
        labels = None
    if np.any(np.isinf(values)):
        raise ValueError("y has infinite values")
    finite = np.flatnonzero(~np.isnan(values))
    if len(finite) < MIN_POINTS:
        raise ValueError(f"y needs at least {MIN_POINTS} observations, got {len(finite)}")
    values = values[finite[0] : finite[-1] + 1]  # leading/trailing gaps are not data
    if labels is not None:
        last = labels[finite[-1]]
    gaps = np.isnan(values)
    if gaps.any():
        at = np.arange(len(values))
        values = values.copy()
        values[gaps] = np.interp(at[gaps], at[~gaps], values[~gaps])
    return Series(
        values=values,
        season_length=int(season_length),
        freq=freq_str,
        last=last,
        interpolated=int(gaps.sum()),
    )
