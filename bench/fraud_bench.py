"""Fraud model benchmark on the generator's data (synthetic, seeded; no real card-fraud set installs here).

Prints, for the newest 20% of rows (the holdout, unseen by training and calibration):
- PR-AUC and recall at 1% false-positive rate: the ensemble vs a logistic-regression baseline
  trained on the same rows;
- single-row scoring p50/p99: onnxruntime (one intra-op thread) vs scikit-learn `predict_proba` on
  the same model, and their ratio;
- time to first score in a new process (import the fraud service, load the champion, score once).
Runs in well under two minutes on 2 cores: `python bench/fraud_bench.py [n_customers]`.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: `python bench/fraud_bench.py`
    sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from models import fraud  # noqa: E402
from models.fraud.dataset import fraud_frame  # noqa: E402
from models.fraud.features import build_features  # noqa: E402
from models.metrics import average_precision, recall_at_fpr  # noqa: E402
from models.registry import CONTAINER, ModelRegistry  # noqa: E402
from models.synthetic import generate_history  # noqa: E402
from shared.adapters.folder_blobs import FolderBlobStore  # noqa: E402

FIRST_SCORE = """
import time; t0 = time.perf_counter()
import sys; sys.path.insert(0, {root!r})
from pathlib import Path
from shared.adapters.folder_blobs import FolderBlobStore
from shared.composition import build_fraud_scorer
from shared.fraud.model import FraudInput
from shared.settings import Settings
scorer = build_fraud_scorer(FolderBlobStore(Path({store!r})), Settings())
result = scorer.score(FraudInput.model_validate({{"amount": {{"amount": "42.00", "currency": "USD"}},
    "cardCountry": "US", "shippingCountry": "US"}}))
assert result.model_version is not None
print(time.perf_counter() - t0)
"""


def percentiles(samples: list[float]) -> tuple[float, float]:
    us = np.array(samples) * 1e6
    return float(np.percentile(us, 50)), float(np.percentile(us, 99))


def time_rows(fn, rows: np.ndarray, repeat: int) -> list[float]:  # type: ignore[no-untyped-def]
    out = []
    for i in range(repeat):
        row = rows[i % len(rows)][None, :]
        t = time.perf_counter()
        fn(row)
        out.append(time.perf_counter() - t)
    return out


def main(n_customers: int = 10_000) -> None:
    t0 = time.perf_counter()
    frame = fraud_frame(generate_history(n_customers, seed=2026))
    n = len(frame["is_fraud"])
    print(
        f"data: {n} orders from {n_customers} synthetic customers, {frame['is_fraud'].mean():.2%} fraud "
        f"({time.perf_counter() - t0:.1f}s)"
    )
    t = time.perf_counter()
    model = fraud.train(frame, label="is_fraud")
    artifact = fraud.export(model)  # parity-checked
    print(
        f"train + export + parity: {time.perf_counter() - t:.1f}s, parity max |diff| "
        f"{artifact.metadata['parity']['max_abs_diff']:.2e} on {artifact.metadata['parity']['rows']} rows"
    )

    order = np.argsort(frame["at"], kind="stable")
    X, y = build_features({k: v[order] for k, v in frame.items()}), frame["is_fraud"][order]
    hold = len(model.holdout_y)
    baseline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    baseline.fit(X[:-hold], y[:-hold])
    Xh, yh = X[-hold:], y[-hold:]
    ens = model.predict_proba(Xh.astype(np.float64))
    lr = baseline.predict_proba(Xh)[:, 1]
    print(f"\nholdout: {hold} newest orders, {yh.mean():.2%} fraud")
    print(f"{'model':<34}{'PR-AUC':>8}{'recall@1%FPR':>14}")
    for name, s in (("ensemble (HGB + IsolationForest)", ens), ("logistic regression baseline", lr)):
        print(f"{name:<34}{average_precision(yh, s):>8.3f}{recall_at_fpr(yh, s, 0.01):>14.3f}")

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(artifact.onnx, options, providers=["CPUExecutionProvider"])
    rows = Xh[:500]
    onnx_t = time_rows(lambda r: session.run(["score"], {"features": r}), rows, 3000)
    skl_t = time_rows(lambda r: model.predict_proba(r.astype(np.float64)), rows, 300)
    (o50, o99), (s50, s99) = percentiles(onnx_t), percentiles(skl_t)
    print("\nsingle-row scoring (µs)        p50      p99")
    print(f"onnxruntime (1 thread)   {o50:>9.1f}{o99:>9.1f}")
    print(f"scikit-learn predict_proba{s50:>8.1f}{s99:>9.1f}")
    print(f"ratio sklearn/onnx       {s50 / o50:>9.1f}x{s99 / o99:>8.1f}x")

    with tempfile.TemporaryDirectory() as tmp:
        registry = ModelRegistry(FolderBlobStore(Path(tmp)).container(CONTAINER))
        registry.promote("fraud", registry.register(artifact))
        t = time.perf_counter()
        out = subprocess.run(
            [sys.executable, "-c", FIRST_SCORE.format(root=str(ROOT), store=tmp)],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
        )
        wall = time.perf_counter() - t
    print(
        f"\ntime to first score in a new process: {wall:.2f}s wall (imports + model load + score: "
        f"{float(out.stdout.strip()):.2f}s)"
    )
    print(f"total bench time {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 10_000)
