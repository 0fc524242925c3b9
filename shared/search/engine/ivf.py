"""Inverted-file (IVF) pre-selection for the vector scan of a big catalog.

A query's semantic matches otherwise need its dot product with every product: at 100k x 384 that
scan was most of an uncached search (12-27 ms on the loaded 2-core VM, 3 ms idle), and every
vector write (a new product) makes every cached query scan again. The IVF splits the vectors into
cells by k-means (numpy, on a sample) and keeps each cell as its own contiguous int8 block; a
query scores the cell centroids and scans only the best cells until SCAN_FRACTION of the vectors
is covered (one onnxruntime MatMulInteger per cell, the fast u8 x s8 path). bench/search_bench.py
reports its recall against the full scan at 100k.

Writes after training stay exact: a changed product's old entry is emptied (it scores 0, below any
threshold) and its new vector appended to its nearest cell; a cleared one is emptied. The index
retrains at every build and snapshot load (the nightly rebuild), so cells do not drift far.
"""

from __future__ import annotations

from typing import Any

import numpy as np

MIN_ROWS = 20_000  # below it the full scan is a few ms: no IVF
SCAN_FRACTION = 0.1  # scan the best cells until this share of the vectors is covered
MIN_CELLS = 4
TRAIN_SAMPLE = 8_192
ITERATIONS = 5
# The query's zero point: it goes in as uint8 = int8 + ZERO_POINT with |int8| <= QUERY_QMAX (see
# shared/search/engine/vectors.py for why the query has 7 bits, not 8).
QUERY_QMAX = 63
ZERO_POINT = 64


def cell_count(rows: int) -> int:
    return int(np.clip(round(np.sqrt(rows) / 2), 16, 1024))


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.clip(np.linalg.norm(x, axis=1, keepdims=True), 1e-12, None)


def kmeans(vectors: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Spherical k-means (cosine) of unit rows -> (k, dim) unit centroids. Deterministic."""
    rng = np.random.default_rng(seed)
    centroids = vectors[rng.choice(len(vectors), size=k, replace=False)].copy()
    for _ in range(ITERATIONS):
        assign = np.argmax(vectors @ centroids.T, axis=1)
        order = np.argsort(assign, kind="stable")
        starts = np.searchsorted(assign[order], np.arange(k))
        counts = np.bincount(assign, minlength=k)
        sums = np.add.reduceat(vectors[order], np.minimum(starts, len(order) - 1), axis=0)
        empty = counts == 0  # reduceat gives a neighbour's row there: reseed those cells instead
        sums[empty] = vectors[rng.choice(len(vectors), size=int(empty.sum()), replace=False)]
        centroids = _unit(sums)
    return centroids.astype(np.float32)


def nearest(rows_major: np.ndarray, centroids: np.ndarray) -> np.ndarray:
    """The best centroid of each (n, dim) int8 vector (its scale does not change which)."""
    out = np.empty(len(rows_major), np.int32)
    for start in range(0, len(rows_major), 8192):
        chunk = rows_major[start : start + 8192].astype(np.float32)
        out[start : start + len(chunk)] = np.argmax(chunk @ centroids.T, axis=1)
    return out


class _Cell:
    """One cell's vectors as a contiguous (dim, capacity) int8 block with their rows and factors."""

    def __init__(self, matrix: np.ndarray, rows: np.ndarray, scale: np.ndarray, colsum: np.ndarray):
        self.size = len(rows)
        self.matrix = np.ascontiguousarray(matrix)
        self.rows = rows.astype(np.int64)  # -1: an emptied entry
        self.scale = scale.astype(np.float32)
        self.colsum = colsum.astype(np.int32)

    def append(self, column: np.ndarray, row: int, scale: float, colsum: int) -> int:
        if self.size == len(self.rows):
            grow = max(16, self.size // 4)
            self.matrix = np.concatenate([self.matrix, np.zeros((len(column), grow), np.int8)], axis=1)
            self.rows = np.concatenate([self.rows, np.full(grow, -1, np.int64)])
            self.scale = np.concatenate([self.scale, np.zeros(grow, np.float32)])
            self.colsum = np.concatenate([self.colsum, np.zeros(grow, np.int32)])
        pos = self.size
        self.matrix[:, pos] = column
        self.rows[pos], self.scale[pos], self.colsum[pos] = row, scale, colsum
        self.size += 1
        return pos

    def empty(self, pos: int) -> None:
        self.matrix[:, pos] = 0
        self.rows[pos], self.scale[pos], self.colsum[pos] = -1, 0.0, 0


class Ivf:
    def __init__(self, centroids: np.ndarray, cells: list[_Cell], capacity: int):
        self.centroids = centroids
        self.cells = cells
        self.cell_of = np.full(capacity, -1, np.int32)  # row -> cell (-1: no entry)
        self.pos_of = np.zeros(capacity, np.int64)
        for c, cell in enumerate(cells):
            live = cell.rows[: cell.size]
            self.cell_of[live] = c
            self.pos_of[live] = np.arange(cell.size)
        self.total = sum(cell.size for cell in cells)

    @classmethod
    def train(
        cls, matrix: np.ndarray, scale: np.ndarray, colsum: np.ndarray, rows: int, seed: int = 0
    ) -> Ivf:
        """Cells over the (dim, capacity) int8 matrix's columns 0..rows-1 that hold a vector."""
        present = np.flatnonzero(scale[:rows] > 0)
        vectors = np.ascontiguousarray(matrix[:, :rows].T)[present]  # (n, dim): row gathers are cheap
        rng = np.random.default_rng(seed)
        sample = np.sort(rng.choice(len(present), size=min(TRAIN_SAMPLE, len(present)), replace=False))
        k = min(cell_count(len(present)), len(sample))
        centroids = kmeans(_unit(vectors[sample].astype(np.float32)), k, seed)
        cell_of = np.full(rows, -1, np.int32)
        cell_of[present] = nearest(vectors, centroids)
        return cls.assigned(matrix, scale, colsum, centroids, cell_of)

    @classmethod
    def assigned(
        cls,
        matrix: np.ndarray,
        scale: np.ndarray,
        colsum: np.ndarray,
        centroids: np.ndarray,
        cell_of: np.ndarray,
    ) -> Ivf:
        """Cells from given centroids and each row's cell (-1: none), e.g. from a snapshot."""
        k = len(centroids)
        if (
            centroids.ndim != 2
            or centroids.shape[1] != matrix.shape[0]
            or cell_of.ndim != 1
            or len(cell_of) > len(scale)
            or (len(cell_of) and not -1 <= int(cell_of.min()) <= int(cell_of.max()) < k)
        ):
            raise ValueError("IVF cells do not fit the vectors")
        present = np.flatnonzero(cell_of >= 0)
        order = present[np.argsort(cell_of[present], kind="stable")]
        bounds = np.searchsorted(cell_of[order], np.arange(k + 1))
        # (n, dim) in cell order: transposed once, then gathered by rows (column gathers of the
        # (dim, capacity) matrix are strided and cost seconds at 100k)
        grouped = np.ascontiguousarray(matrix[:, : len(cell_of)].T)[order]
        cells = []
        for c in range(k):
            a, b = bounds[c], bounds[c + 1]
            members = order[a:b]
            cells.append(_Cell(grouped[a:b].T, members, scale[members], colsum[members]))
        return cls(np.asarray(centroids, np.float32), cells, len(scale))

    def export(self, rows: int) -> tuple[np.ndarray, np.ndarray]:
        """(centroids, each row's cell) for a snapshot."""
        cell_of = self.cell_of[:rows].copy()
        if len(cell_of) < rows:
            cell_of = np.concatenate([cell_of, np.full(rows - len(cell_of), -1, np.int32)])
        return self.centroids.copy(), cell_of

    def _grow(self, capacity: int) -> None:
        if capacity > len(self.cell_of):
            extra = capacity - len(self.cell_of)
            self.cell_of = np.concatenate([self.cell_of, np.full(extra, -1, np.int32)])
            self.pos_of = np.concatenate([self.pos_of, np.zeros(extra, np.int64)])

    def remove(self, row: int) -> None:
        if row < len(self.cell_of) and self.cell_of[row] >= 0:
            self.cells[self.cell_of[row]].empty(int(self.pos_of[row]))
            self.cell_of[row] = -1
            self.total -= 1

    def put(self, rows: np.ndarray, q: np.ndarray, scale: np.ndarray, colsum: np.ndarray) -> None:
        """Rows' new int8 vectors (n, dim) with their scales and column sums."""
        self._grow(int(rows.max()) + 1)
        nearest = np.argmax(q.astype(np.float32) @ self.centroids.T, axis=1)
        for row, vec, s, cs, c in zip(rows, q, scale, colsum, nearest, strict=True):
            self.remove(int(row))
            self.pos_of[row] = self.cells[c].append(vec, int(row), float(s), int(cs))
            self.cell_of[row] = c
            self.total += 1

    def search(
        self, session: Any, shifted: np.ndarray, query: np.ndarray, qscale: float, threshold: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """(rows, scores) of the scanned cells' vectors scoring >= threshold (unordered)."""
        order = np.argsort(-(self.centroids @ query), kind="stable")
        goal, covered = SCAN_FRACTION * self.total, 0
        found_rows, found_scores = [], []
        for n, c in enumerate(order):
            if covered >= goal and n >= MIN_CELLS:
                break
            cell = self.cells[c]
            if cell.size == 0:
                continue
            covered += cell.size
            (dots,) = session.run(["y"], {"q": shifted, "m": cell.matrix})
            raw = dots[0, : cell.size] - ZERO_POINT * cell.colsum[: cell.size]
            scores = raw.astype(np.float32) * (cell.scale[: cell.size] * qscale)
            keep = np.flatnonzero((scores >= threshold) & (cell.rows[: cell.size] >= 0))
            found_rows.append(cell.rows[keep])
            found_scores.append(scores[keep])
        if not found_rows:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        return np.concatenate(found_rows), np.concatenate(found_scores)
