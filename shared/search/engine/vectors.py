"""Product vectors kept as int8, scored by onnxruntime's integer matmul.

Measured on the 2-core VM at 100k x 384 (bench/search_bench.py repeats it): numpy float32
matrix-vector ~12-30 ms (memory bound, 154 MB); onnxruntime MatMulInteger (uint8 query x int8
matrix, one thread) ~3 ms over 38 MB. Each product's vector is scaled by its own max |x| to
[-127, 127] (the scale is kept), the query likewise, so a score is the int32 dot product times the
two scales: cosine to within ~0.02, which moves a top-100 list by a product or two.

The query has 7 bits ([-63, 63], uint8 1..127 after the zero point 64), not 8: on x86 CPUs with
AVX2 but no VNNI (AMD EPYC before Zen 4, older Xeons; Azure runs on both) MLAS's u8 x s8 kernel
uses VPMADDUBSW, which adds two u8*s8 products into a *saturating* int16. With a full 0..255
query two products reach 2 * 255 * 127 = 64,770 and are clipped at 32,767: a vector scored
against itself came out at 0.88 instead of ~1.0 on such a machine. 2 * 127 * 127 = 32,258 fits,
on every kernel; onnxruntime's quantization guide calls this "reduce_range". The stored vectors
keep 8 bits.

The matrix is stored transposed (dims x capacity) because that is the layout MLAS's fast path
reads; growing doubles the capacity, and the unused columns are zero and score 0.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from shared.search.engine import ivf
from shared.search.engine.ivf import Ivf

QMAX = 127
ZERO_POINT = ivf.ZERO_POINT  # the query goes in as uint8 = int8 + 64 (MLAS's u8 x s8 kernel)


# y[1, n] = MatMulInteger(q[1, d] uint8, m[d, n] int8): the serialized ONNX graph, built once with
# onnx.helper (opset 13, ir 8; dims symbolic) and kept as bytes because importing `onnx` costs
# 0.2-3 s of cold start. tests/unit/search/test_vectors.py rebuilds it and compares.
DOT_MODEL = base64.b64decode(
    "CAgSFHNtYXJ0Y29tbWVyY2Utc2VhcmNoOmIKGAoBcQoBbRIBeSINTWF0TXVsSW50ZWdlchIDZG90WhQKAXESDwoNCAISCQoC"
    "CAEKAxIBZFoVCgFtEhAKDggDEgoKAxIBZAoDEgFuYhQKAXkSDwoNCAYSCQoCCAEKAxIBbkIECgAQDQ=="
)


def _session() -> Any:
    import onnxruntime as ort  # 0.3 s: on the first scored query, not when the engine is imported

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    options.inter_op_num_threads = 1
    options.log_severity_level = 3
    return ort.InferenceSession(DOT_MODEL, options, providers=["CPUExecutionProvider"])


def quantize(vectors: np.ndarray, qmax: int = QMAX) -> tuple[np.ndarray, np.ndarray]:
    """(n, dim) float -> (n, dim) int8 and (n,) float32 scales with x ~= q * scale, |q| <= qmax."""
    vectors = np.asarray(vectors, dtype=np.float32)
    peak = np.abs(vectors).max(axis=1)
    scale = np.where(peak > 0, peak / qmax, 1.0).astype(np.float32)
    q = np.clip(np.rint(vectors / scale[:, None]), -qmax, qmax).astype(np.int8)
    return q, scale


class VectorStore:
    def __init__(self, dim: int, capacity: int = 1024):
        self.dim = dim
        self._matrix = np.zeros((dim, capacity), dtype=np.int8)
        self._scale = np.zeros(capacity, dtype=np.float32)
        self._colsum = np.zeros(capacity, dtype=np.int32)  # removes the query's zero point
        self._session: Any = None
        self.generation = 0  # bumped by every vector write: cached semantic results go stale
        self.ivf: Ivf | None = None  # cells for the scan of a big catalog (train())

    @property
    def capacity(self) -> int:
        return int(self._matrix.shape[1])

    def _grow(self, rows: int) -> None:
        if rows <= self.capacity:
            return
        # Every query scans the whole matrix (capacity, not just rows), so grow by 1/8 rather than
        # doubling: the first product created after a 100k build would otherwise double each scan.
        new = max(rows, self.capacity + max(1024, self.capacity // 8))
        matrix = np.zeros((self.dim, new), dtype=np.int8)
        matrix[:, : self.capacity] = self._matrix
        self._matrix = matrix
        self._scale = np.concatenate([self._scale, np.zeros(new - len(self._scale), np.float32)])
        self._colsum = np.concatenate([self._colsum, np.zeros(new - len(self._colsum), np.int32)])

    def set_many(self, rows: np.ndarray, vectors: np.ndarray) -> None:
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return
        self.generation += 1
        self._grow(int(rows.max()) + 1)
        q, scale = quantize(vectors)
        self._matrix[:, rows] = q.T
        self._scale[rows] = scale
        colsum = q.astype(np.int32).sum(axis=1)
        self._colsum[rows] = colsum
        if self.ivf is not None:
            self.ivf.put(rows, q, scale, colsum)

    def clear(self, row: int) -> None:
        self.generation += 1
        if row < self.capacity:
            self._matrix[:, row] = 0
            self._scale[row] = 0
            self._colsum[row] = 0
        if self.ivf is not None:
            self.ivf.remove(row)

    def vector(self, row: int) -> np.ndarray:
        return self._matrix[:, row].astype(np.float32) * self._scale[row]

    def train(self, rows: int, stored: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """Build the IVF cells over rows 0..rows-1 if there are enough vectors (ivf.MIN_ROWS):
        from `stored` (centroids, each row's cell: a snapshot's) or by k-means."""
        present = int(np.count_nonzero(self._scale[:rows] > 0))
        if present < ivf.MIN_ROWS:
            self.ivf = None
        elif stored is not None:
            self.ivf = Ivf.assigned(self._matrix, self._scale, self._colsum, *stored)
        else:
            self.ivf = Ivf.train(self._matrix, self._scale, self._colsum, rows)

    def _query(self, query: np.ndarray) -> tuple[np.ndarray, float]:
        if self._session is None:
            self._session = _session()
        q, qscale = quantize(np.asarray(query, dtype=np.float32)[None, :], ivf.QUERY_QMAX)
        return (q.astype(np.int16) + ZERO_POINT).astype(np.uint8), float(qscale[0])

    def matches(self, query: np.ndarray, rows: int, threshold: float) -> tuple[np.ndarray, np.ndarray, bool]:
        """Rows (of 0..rows-1) scoring >= threshold with their scores, unordered, and whether the
        scan was exhaustive (False: the IVF scanned the query's best cells only)."""
        if self.ivf is None:
            scores = self.scores(query, rows)
            found = np.flatnonzero(scores >= threshold)
            return found, scores[found], True
        shifted, qscale = self._query(query)
        found, scores = self.ivf.search(
            self._session, shifted, np.asarray(query, dtype=np.float32), qscale, threshold
        )
        keep = found < rows
        return found[keep], scores[keep], False

    def scores(self, query: np.ndarray, rows: int) -> np.ndarray:
        """Approximate cosine of the unit query with rows 0..rows-1 (cleared rows score 0), by a
        scan of every vector (exact: the IVF is not used)."""
        shifted, qscale = self._query(query)
        (dots,) = self._session.run(["y"], {"q": shifted, "m": self._matrix})
        raw = dots[0, :rows] - ZERO_POINT * self._colsum[:rows]
        return raw.astype(np.float32) * (self._scale[:rows] * qscale)

    # -- snapshots --------------------------------------------------------------------------

    def export(self, rows: int) -> dict[str, np.ndarray]:
        self._grow(rows)  # rows added while no encoder was set have no column yet
        return {
            "matrix": np.ascontiguousarray(self._matrix[:, :rows]),
            "scale": self._scale[:rows].copy(),
        }

    @classmethod
    def restore(cls, matrix: np.ndarray, scale: np.ndarray) -> VectorStore:
        dim, rows = matrix.shape
        store = cls(dim, capacity=max(1024, rows))
        store._matrix[:, :rows] = matrix
        store._scale[:rows] = scale
        store._colsum[:rows] = matrix.sum(axis=0, dtype=np.int32)  # no int32 copy of the matrix
        return store
