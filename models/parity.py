"""The parity gate: an exported ONNX graph must reproduce scikit-learn on held-out rows plus generated
edge rows (NaN in every column, values exactly at split thresholds, extremes, unseen categories:
see models.fraud.tabular_onnx.edge_design_rows), within 1e-4, or nothing is saved."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import onnxruntime as ort


class ParityError(Exception):
    """The ONNX graph disagrees with scikit-learn: nothing may be saved."""


@dataclass(frozen=True)
class ParityReport:
    rows: int
    max_abs_diff: float
    tolerance: float
    passed: bool
    edge_rows: int = 0  # of `rows`, how many were generated edge rows

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def session(onnx_bytes: bytes) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])


def onnx_predict(onnx_bytes: bytes, X: np.ndarray, output: str = "score") -> np.ndarray:
    sess = session(onnx_bytes)
    name = sess.get_inputs()[0].name
    (result,) = sess.run([output], {name: np.ascontiguousarray(X, dtype=np.float32)})
    return np.asarray(result, dtype=np.float64).reshape(-1)


def compare(
    got: np.ndarray, expected: np.ndarray, *, tolerance: float = 1e-4, edge_rows: int = 0
) -> ParityReport:
    """ParityReport of ONNX scores vs the reference; ParityError beyond `tolerance` (NaN fails too)."""
    got = np.asarray(got, dtype=np.float64).reshape(-1)
    want = np.asarray(expected, dtype=np.float64).reshape(-1)
    if len(want) == 0:
        raise ParityError("no rows to check parity on")
    if got.shape != want.shape:
        raise ParityError(f"shape mismatch: onnx {got.shape} vs reference {want.shape}")
    diffs = np.abs(got - want)
    diff = float(np.max(np.where(np.isnan(diffs), np.inf, diffs)))
    report = ParityReport(len(want), diff, tolerance, diff <= tolerance, edge_rows)
    if not report.passed:
        worst = int(np.argmax(np.where(np.isnan(diffs), np.inf, diffs)))
        kind = "an edge row" if worst >= len(want) - edge_rows else "a held-out row"
        raise ParityError(f"ONNX differs from scikit-learn by {diff:.3g} (> {tolerance}) on {kind}")
    return report


def check_parity(
    onnx_bytes: bytes, X: np.ndarray, expected: np.ndarray, *, output: str = "score", tolerance: float = 1e-4
) -> ParityReport:
    """Compare ONNX with the reference predictions; raise ParityError on any row beyond tolerance."""
    if len(X) == 0:
        raise ParityError("no held-out rows to check parity on")
    got = onnx_predict(onnx_bytes, X, output)
    want = np.asarray(expected, dtype=np.float64).reshape(-1)
    if got.shape != want.shape:
        raise ParityError(f"shape mismatch: onnx {got.shape} vs reference {want.shape}")
    diff = float(np.max(np.abs(got - want)))
    report = ParityReport(rows=len(want), max_abs_diff=diff, tolerance=tolerance, passed=diff <= tolerance)
    if not report.passed:
        raise ParityError(f"ONNX differs from scikit-learn by {diff:.3g} (> {tolerance}) on held-out rows")
    return report
