"""`fit_tabular`: a binary classifier for any table, chosen by cross-validation, exported to ONNX.

    clf = fit_tabular(X, y, positive=None)   # X: DataFrame (numeric, bool, text/category; NaN ok)
    clf.predict_proba(X) -> (n,)             # probability of the positive label
    clf.to_onnx() -> bytes                   # parity-checked against predict_proba (<= 1e-4)

How it learns (why: see docs/ml.md, "fit_tabular"):
1. Candidates, each a raw score per row:
   - `logistic`: balanced logistic regression on the standardized linear view (one-hot categories);
   - `hgb`: HistGradientBoosting on the design matrix (NaN routed by the trees, categories as
     ordered codes), early-stopped on a stratified validation slice;
   - `ensemble`: the earlier fraud model, HGB log-odds + IsolationForest anomaly;
   - `blend`: logistic + HGB.
2. Stratified K-fold: every candidate's out-of-fold (OOF) raw scores for every row. Each candidate
   is scored by its mean per-fold PR-AUC (multi-score candidates combine on the other folds' OOF
   rows, so that score is honest too). A candidate other than `logistic` is chosen only if it beats
   `logistic` by more than `selection_margin` (1) standard errors of the per-fold difference: on data
   where the trees do not clearly help, the served model is the logistic regression.
3. Calibration: a sigmoid (logistic regression on the chosen candidate's raw scores) fitted on the
   OOF scores of *all* rows: no calibration slice is set aside, so it stays stable with few
   positives; sigmoid calibration converts to ONNX exactly.
4. The final models are refitted on all rows. `oof_scores` (calibrated OOF probabilities) are
   honest scores for metrics and for choosing thresholds.

Imports scikit-learn: training jobs only, never a request path.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from models.fraud.linear_view import LinearView
from models.fraud.schema import Column, as_frame, encode, encode_labels, fit_columns
from models.metrics import average_precision, recall_at_fpr

CANDIDATES: dict[str, tuple[str, ...]] = {
    "logistic": ("lr",),
    "hgb": ("hgb",),
    "ensemble": ("hgb", "anomaly"),
    "blend": ("lr", "hgb"),
}


@dataclass(frozen=True)
class TabularParams:
    folds: int = 5
    candidates: tuple[str, ...] = ("logistic", "hgb", "ensemble", "blend")
    selection_margin: float = 1.0  # standard errors of the per-fold gain over logistic (one-SE rule)
    lr_c: float = 1.0
    hgb_max_iter: int = 300
    hgb_learning_rate: float = 0.05
    hgb_max_leaf_nodes: int = 15
    hgb_min_samples_leaf: int = 20
    hgb_l2_regularization: float = 1.0
    hgb_early_stopping: bool = True
    anomaly_trees: int = 100
    anomaly_max_samples: int = 256
    min_category_count: int = 1  # categories seen fewer times share the "other" code
    seed: int = 0
    # OpenMP/BLAS threads while fitting and predicting. 1 by default: on a small shared machine
    # HGB's OpenMP threads spin against other work (measured 12x slower with 2 threads under load).
    threads: int | None = 1


@dataclass
class Parts:
    """The fitted pieces one model (a CV fold's or the final one) scores with."""

    columns: list[Column]
    linear: LinearView | None = None
    lr: LogisticRegression | None = None
    hgb: HistGradientBoostingClassifier | None = None
    iso: IsolationForest | None = None

    def component(self, name: str, B: np.ndarray) -> np.ndarray:
        if name == "lr":
            assert self.linear is not None and self.lr is not None
            return np.asarray(self.lr.decision_function(self.linear.transform(B)), dtype=np.float64)
        if name == "hgb":
            assert self.hgb is not None
            return np.asarray(self.hgb.decision_function(B.astype(np.float64)), dtype=np.float64)
        if name == "anomaly":
            assert self.iso is not None
            return -np.asarray(self.iso.score_samples(B), dtype=np.float64)
        raise KeyError(name)


@dataclass
class CandidateScore:
    name: str
    fold_pr_auc: list[float]

    @property
    def mean(self) -> float:
        return float(np.mean(self.fold_pr_auc))

    @property
    def sd(self) -> float:
        return float(np.std(self.fold_pr_auc, ddof=1)) if len(self.fold_pr_auc) > 1 else 0.0


@dataclass
class TabularClassifier:
    parts: Parts
    chosen: str
    combiner_coef: np.ndarray  # one weight per component of CANDIDATES[chosen]
    combiner_intercept: float
    positive: Any
    negative: Any
    params: TabularParams
    oof_scores: np.ndarray  # calibrated out-of-fold probability per training row
    oof_labels: np.ndarray
    cv: dict[str, dict[str, float]] = field(default_factory=dict)  # candidate -> {mean, sd}
    reference: Any = None  # a few training rows (DataFrame): the parity gate's base rows
    fit_seconds: float = 0.0

    @property
    def columns(self) -> list[Column]:
        return self.parts.columns

    @property
    def feature_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.parts.columns)

    @property
    def components(self) -> tuple[str, ...]:
        return CANDIDATES[self.chosen]

    def design(self, X: Any) -> np.ndarray:
        return encode(as_frame(X), self.parts.columns)

    def raw(self, B: np.ndarray) -> np.ndarray:
        return np.column_stack([self.parts.component(c, B) for c in self.components])

    def predict_proba_design(self, B: np.ndarray) -> np.ndarray:
        with threadpool_limits(self.params.threads):
            raw = self.raw(B)
        logit = raw @ self.combiner_coef.astype(np.float64) + float(self.combiner_intercept)
        return 1.0 / (1.0 + np.exp(-logit))

    def predict_proba(self, X: Any) -> np.ndarray:
        """Probability of the positive label, shape (n,). X: the fit-time columns (names and order)."""
        return self.predict_proba_design(self.design(X))

    def to_onnx(self, *, matrix_input: str | None = None, check: bool = True) -> bytes:
        """The model as ONNX: one input per column named as the column ([None, 1], float32 or string),
        or with `matrix_input` one float32 [None, n_columns] input (numeric columns only). Outputs
        `probability` (n,) and `score` (n, 1). Checked against `predict_proba` on the reference rows
        plus generated edge rows (ParityError beyond 1e-4) unless `check=False`."""
        from models.fraud.tabular_onnx import tabular_graph

        graph = tabular_graph(self, matrix_input=matrix_input)
        if check:
            self.check_parity(graph, matrix_input=matrix_input)
        return graph

    def check_parity(
        self, graph: bytes, *, matrix_input: str | None = None, extra: Any = None, tolerance: float = 1e-4
    ) -> Any:
        """ParityReport over the reference rows, `extra` rows and the generated edge rows."""
        from models.fraud.tabular_onnx import edge_design_rows, onnx_design_predict
        from models.parity import compare

        blocks = [self.design(self.reference)]
        if extra is not None:
            blocks.append(extra if isinstance(extra, np.ndarray) else self.design(extra))
        blocks.append(edge_design_rows(self, blocks[0]))
        B = np.vstack(blocks).astype(np.float32)
        got = onnx_design_predict(graph, self, B, matrix_input=matrix_input)
        return compare(got, self.predict_proba_design(B), tolerance=tolerance, edge_rows=len(blocks[-1]))

    def summary(self) -> dict[str, Any]:
        return {
            "chosen": self.chosen,
            "candidates": self.cv,
            "positive": str(self.positive),
            "cvPrAuc": average_precision(self.oof_labels, self.oof_scores),
            "cvRecallAt1pctFpr": recall_at_fpr(self.oof_labels, self.oof_scores, 0.01),
            "trainingRows": len(self.oof_labels),
            "positiveRate": float(np.mean(self.oof_labels)),
            "fitSeconds": round(self.fit_seconds, 2),
        }

    def params_json(self) -> dict[str, Any]:
        return {**asdict(self.params), "candidates": list(self.params.candidates), "chosen": self.chosen}


def _needed(candidates: Sequence[str]) -> set[str]:
    unknown = [c for c in candidates if c not in CANDIDATES]
    if unknown or not candidates:
        raise ValueError(f"unknown candidates {unknown}; known: {sorted(CANDIDATES)}")
    return {comp for c in candidates for comp in CANDIDATES[c]}


def fit_parts(
    B: np.ndarray, y: np.ndarray, columns: list[Column], needed: set[str], p: TabularParams
) -> Parts:
    parts = Parts(columns)
    if "lr" in needed:
        parts.linear = LinearView.fit(B, columns)
        parts.lr = LogisticRegression(C=p.lr_c, class_weight="balanced", max_iter=5000)
        parts.lr.fit(parts.linear.transform(B), y)
    if "hgb" in needed:
        # Early stopping needs a validation slice with both classes.
        stop = p.hgb_early_stopping and min(np.bincount(y, minlength=2)) >= 20
        parts.hgb = HistGradientBoostingClassifier(
            max_iter=p.hgb_max_iter,
            learning_rate=p.hgb_learning_rate,
            max_leaf_nodes=p.hgb_max_leaf_nodes,
            min_samples_leaf=min(p.hgb_min_samples_leaf, max(2, len(y) // 20)),
            l2_regularization=p.hgb_l2_regularization,
            early_stopping=stop,
            validation_fraction=0.15 if stop else None,
            n_iter_no_change=20,
            scoring="loss",
            random_state=p.seed,
        ).fit(B.astype(np.float64), y)
    if "anomaly" in needed:
        parts.iso = IsolationForest(
            n_estimators=p.anomaly_trees, max_samples=min(p.anomaly_max_samples, len(y)), random_state=p.seed
        ).fit(B)
    return parts


def _fit_combiner(S: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, float]:
    """Sigmoid calibration (Platt) of one raw score, or the stacking weights of several."""
    if len(np.unique(y)) < 2:
        raise ValueError("calibration needs both classes")
    cal = LogisticRegression(C=1e4 if S.shape[1] == 1 else 10.0, max_iter=5000).fit(S, y)
    return np.asarray(cal.coef_, dtype=np.float64).reshape(-1), float(
        np.asarray(cal.intercept_).reshape(-1)[0]
    )


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


def _score_candidate(
    name: str, oof: dict[str, np.ndarray], y: np.ndarray, folds: np.ndarray
) -> CandidateScore:
    S = np.column_stack([oof[c] for c in CANDIDATES[name]])
    scores = []
    for k in np.unique(folds):
        test = folds == k
        if S.shape[1] == 1:
            s = S[test, 0]  # a sigmoid calibration is monotone: the raw ranking is the score
        else:
            coef, b = _fit_combiner(S[~test], y[~test])
            s = S[test] @ coef + b
        scores.append(average_precision(y[test], s))
    return CandidateScore(name, scores)


def _select(scores: dict[str, CandidateScore], margin: float) -> str:
    if "logistic" not in scores:
        return max(scores.values(), key=lambda s: s.mean).name
    base = np.asarray(scores["logistic"].fold_pr_auc)
    best, best_value = "logistic", scores["logistic"].mean
    for name, s in scores.items():
        if name == "logistic":
            continue
        gain = np.asarray(s.fold_pr_auc) - base
        se = float(np.std(gain, ddof=1) / np.sqrt(len(gain))) if len(gain) > 1 else 0.0
        if gain.mean() > margin * se and s.mean > best_value:
            best, best_value = name, s.mean
    return best


def fit_tabular(
    X: Any,
    y: Any,
    positive: Any = None,
    *,
    params: TabularParams | None = None,
    feature_names: Sequence[str] | None = None,
) -> TabularClassifier:
    """Fit the classifier (see the module doc). ValueError: wrong shapes, a single class, too few rows."""
    p = params or TabularParams()
    with threadpool_limits(p.threads):
        return _fit(X, y, positive, p, feature_names)


def _fit(
    X: Any, y: Any, positive: Any, p: TabularParams, feature_names: Sequence[str] | None
) -> TabularClassifier:
    t0 = time.perf_counter()
    frame = as_frame(X, feature_names)
    labels, pos, neg = encode_labels(y, len(frame), positive)
    counts = np.bincount(labels, minlength=2)
    if counts.min() < 2:
        raise ValueError(f"each class needs at least 2 rows (got {counts.tolist()})")
    needed = _needed(p.candidates)
    n_folds = int(min(p.folds, counts.min()))
    if n_folds < 2:
        raise ValueError("cross-validation needs at least 2 folds")
    frame = frame.reset_index(drop=True)
    folds = np.empty(len(labels), dtype=np.int64)
    oof = {c: np.empty(len(labels), dtype=np.float64) for c in needed}
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=p.seed)
    for k, (train, test) in enumerate(splitter.split(np.zeros(len(labels)), labels)):
        folds[test] = k
        part_frame = frame.iloc[train]
        columns = fit_columns(part_frame, labels[train], min_count=p.min_category_count)
        B_train = encode(part_frame, columns)
        parts = fit_parts(B_train, labels[train], columns, needed, p)
        B_test = encode(frame.iloc[test], columns)
        for c in needed:
            oof[c][test] = parts.component(c, B_test)
    scores = {c: _score_candidate(c, oof, labels, folds) for c in p.candidates}
    chosen = _select(scores, p.selection_margin) if len(scores) > 1 else next(iter(scores))
    S = np.column_stack([oof[c] for c in CANDIDATES[chosen]])
    coef, intercept = _fit_combiner(S, labels)
    oof_scores = _sigmoid(S @ coef + intercept)
    columns = fit_columns(frame, labels, min_count=p.min_category_count)
    final = fit_parts(encode(frame, columns), labels, columns, set(CANDIDATES[chosen]), p)
    return TabularClassifier(
        parts=final,
        chosen=chosen,
        combiner_coef=coef,
        combiner_intercept=intercept,
        positive=pos,
        negative=neg,
        params=p,
        oof_scores=oof_scores,
        oof_labels=labels,
        cv={name: {"mean": round(s.mean, 4), "sd": round(s.sd, 4)} for name, s in scores.items()},
        reference=frame.iloc[: min(len(frame), 200)].copy(),
        fit_seconds=time.perf_counter() - t0,
    )
