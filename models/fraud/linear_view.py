"""The logistic regression's view of the design matrix (numpy only; the ONNX graph mirrors it).

    numeric column   -> median-imputed, standardized, clipped to +-50 sd (+ a missing indicator
                        when the training rows had NaN there)
    category column  -> one-hot over the codes 0..K (K = "other"), plus a missing indicator

A sparse-style view: every category gets its own weight, which suits wide categoricals (states,
grades) far better than the trees' single ordered code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.fraud.schema import Column

CLIP = 50.0


@dataclass(frozen=True)
class LinearView:
    numeric: np.ndarray  # indices of numeric columns in the design matrix
    medians: np.ndarray
    means: np.ndarray
    scales: np.ndarray
    nan_columns: np.ndarray  # numeric columns (design-matrix indices) that get a missing indicator
    categories: tuple[tuple[int, int], ...]  # (design-matrix index, number of codes K + 1)

    @classmethod
    def fit(cls, B: np.ndarray, columns: Sequence[Column]) -> LinearView:
        numeric = np.array([j for j, c in enumerate(columns) if c.kind == "numeric"], dtype=np.int64)
        N = B[:, numeric].astype(np.float64)
        with np.errstate(all="ignore"):
            medians = np.nanmedian(N, axis=0) if len(N) else np.zeros(len(numeric))
        medians = np.where(np.isfinite(medians), medians, 0.0).astype(np.float32)
        imputed = np.where(np.isnan(N), medians.astype(np.float64), N)
        means = imputed.mean(axis=0) if len(imputed) else np.zeros(len(numeric))
        scales = imputed.std(axis=0) if len(imputed) else np.ones(len(numeric))
        scales = np.where(scales > 1e-12, scales, 1.0)
        nan_columns = numeric[np.isnan(N).any(axis=0)] if len(N) else numeric[:0]
        cats = tuple((j, len(c.categories) + 1) for j, c in enumerate(columns) if c.kind == "category")
        return cls(numeric, medians, means.astype(np.float32), scales.astype(np.float32), nan_columns, cats)

    @property
    def width(self) -> int:
        return len(self.numeric) + len(self.nan_columns) + sum(k + 1 for _, k in self.categories)

    def transform(self, B: np.ndarray) -> np.ndarray:
        """float64 [n, width], computed from float32 statistics exactly as the ONNX graph does."""
        N = B[:, self.numeric].astype(np.float64)
        imputed = np.where(np.isnan(N), self.medians.astype(np.float64), N)
        z = np.clip((imputed - self.means.astype(np.float64)) / self.scales.astype(np.float64), -CLIP, CLIP)
        parts = [z, np.isnan(B[:, self.nan_columns]).astype(np.float64)]
        for j, k in self.categories:
            code = B[:, j]
            parts.append((code[:, None] == np.arange(k, dtype=np.float32)[None, :]).astype(np.float64))
            parts.append(np.isnan(code)[:, None].astype(np.float64))
        return np.hstack(parts) if parts else np.zeros((len(B), 0))
