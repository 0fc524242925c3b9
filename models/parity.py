"""The parity gate: an exported ONNX graph must reproduce scikit-learn on held-out rows."""

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

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def onnx_predict(onnx_bytes: bytes, X: np.ndarray, output: str = "score") -> np.ndarray:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(onnx_bytes, options, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    (result,) = session.run([output], {name: np.ascontiguousarray(X, dtype=np.float32)})
    return np.asarray(result, dtype=np.float64).reshape(-1)


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
