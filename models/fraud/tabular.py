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
2. Stratified K-fold, repeated (`repeats`; by default twice when the minority class has fewer than
   `few_positives` rows, where one partition's fold scores are noisiest): every candidate's
   out-of-fold (OOF) raw scores for every row, and its PR-AUC on every fold (multi-score candidates
   combine on the other folds' OOF rows of the same repeat, so that score is honest too).
3. Selection, one rule used twice (`_prefer`): an alternative replaces the default only if its
   *paired* per-fold gain over the default is positive on more than half of the folds and its mean
   exceeds `selection_min_gain` (0.002 PR-AUC) and `selection_margin` (1) standard errors, the SE
   corrected for the overlap of CV training sets (Nadeau & Bengio: var * (1/J + 1/(K-1)) over J
   folds of K-fold CV; the naive var/J is far too small and let a noise-level `blend` win).
   - the logistic regression's C: `lr_c_grid` against the default `lr_c` (wide one-hot views of
     states or grades with few positives need stronger regularization);
   - the candidate: `hgb`, `ensemble`, `blend` against that `logistic`. Where trees do not clearly
     help, the served model is the logistic regression.
4. Calibration: a sigmoid (logistic regression on the chosen candidate's raw scores) fitted on the
   OOF scores of *all* rows (of every repeat): no calibration slice is set aside, so it stays stable
   with few positives; sigmoid calibration converts to ONNX exactly.
5. The final models are refitted on all rows (the logistic regression with the chosen C).
   `oof_scores` (calibrated OOF probabilities) are honest scores for metrics and for choosing thresholds.

Imports scikit-learn: training jobs only, never a request path.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any, TypeVar

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, IsolationForest
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold
from threadpoolctl import threadpool_limits

from models.fraud.linear_view import LinearView
from models.fraud.schema import Column, as_frame, encode, encode_labels, fit_columns
from models.metrics import average_precision, recall_at_fpr

K = TypeVar("K", str, float)
FoldScores = Sequence[float] | np.ndarray  # one PR-AUC per fold of every repeat

CANDIDATES: dict[str, tuple[str, ...]] = {
    "logistic": ("lr",),
    "hgb": ("hgb",),
    "ensemble": ("hgb", "anomaly"),
    "blend": ("lr", "hgb"),
}


@dataclass(frozen=True)
class TabularParams:
    folds: int = 5
    repeats: int | None = None  # CV repetitions; None: 2 when the minority class < few_positives, else 1
    few_positives: int = 500
    candidates: tuple[str, ...] = ("logistic", "hgb", "ensemble", "blend")
    # corrected standard errors of the paired per-fold gain an alternative must exceed (one-SE rule)
    selection_margin: float = 1.0
    selection_min_gain: float = 0.002  # and a mean PR-AUC gain worth a switch (not a 1e-5 tie)
    lr_c: float = 1.0  # the default inverse regularization; the fitted model stores the chosen one
    lr_c_grid: tuple[float, ...] = (0.003, 0.01, 0.03, 0.1, 0.3, 1.0)  # () = lr_c only
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
    fold_pr_auc: list[float]  # one per fold of every repeat, in the same order for every candidate

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
    # candidate -> {mean, sd} of its fold PR-AUCs (+ gain, gainSe, winShare over logistic)
    cv: dict[str, dict[str, Any]] = field(default_factory=dict)
    selection: dict[str, Any] = field(default_factory=dict)  # repeats, folds, lrC and its gains
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
            "selection": self.selection,
            "positive": str(self.positive),
            "cvPrAuc": average_precision(self.oof_labels, self.oof_scores),
            "cvRecallAt1pctFpr": recall_at_fpr(self.oof_labels, self.oof_scores, 0.01),
            "trainingRows": len(self.oof_labels),
            "positiveRate": float(np.mean(self.oof_labels)),
            "fitSeconds": round(self.fit_seconds, 2),
        }

    def params_json(self) -> dict[str, Any]:
        return {
            **asdict(self.params),
            "candidates": list(self.params.candidates),
            "lr_c_grid": list(self.params.lr_c_grid),
            "chosen": self.chosen,
        }


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
        parts.lr = _logistic(p.lr_c).fit(parts.linear.transform(B), y)
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


def _logistic(c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=5000)


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
    """PR-AUC per fold of every repeat. oof[c]: [repeats, n] raw scores; folds: [repeats, n]."""
    scores = []
    for r in range(folds.shape[0]):
        S = np.column_stack([oof[c][r] for c in CANDIDATES[name]])
        for k in np.unique(folds[r]):
            test = folds[r] == k
            if S.shape[1] == 1:
                s = S[test, 0]  # a sigmoid calibration is monotone: the raw ranking is the score
            else:
                coef, b = _fit_combiner(S[~test], y[~test])
                s = S[test] @ coef + b
            scores.append(average_precision(y[test], s))
    return CandidateScore(name, scores)


@dataclass(frozen=True)
class Preference:
    """An alternative's paired per-fold gain over the default, and whether it clears the rule."""

    gain: float
    se: float
    win_share: float
    clears: bool


def paired_gain(
    default: FoldScores, other: FoldScores, n_splits: int, margin: float, min_gain: float = 0.0
) -> Preference:
    """The one-SE rule on paired per-fold differences d_j (j over every fold of every repeat).

    SE = sd(d) * sqrt(1/J + 1/(K-1)): the Nadeau-Bengio correction, because K-fold training sets
    overlap and fold scores are correlated (var(d)/J would be far too optimistic). `other` clears
    the rule when mean(d) > max(margin * SE, min_gain) and d > 0 on more than half of the folds."""
    d = np.asarray(other, dtype=np.float64) - np.asarray(default, dtype=np.float64)
    if len(d) < 2:
        return Preference(float(d.mean()) if len(d) else 0.0, float("inf"), 0.0, False)
    se = float(np.std(d, ddof=1) * np.sqrt(1.0 / len(d) + 1.0 / max(1, n_splits - 1)))
    share = float(np.mean(d > 0))
    clears = d.mean() > max(margin * se, min_gain) and share > 0.5
    return Preference(float(d.mean()), se, share, bool(clears))


def _prefer(
    default: K, scores: Mapping[K, FoldScores], n_splits: int, margin: float, min_gain: float = 0.0
) -> tuple[K, dict[K, Preference]]:
    """The default, unless alternatives clear the rule: then the one with the largest mean gain."""
    prefs = {
        k: paired_gain(scores[default], v, n_splits, margin, min_gain)
        for k, v in scores.items()
        if k != default
    }
    cleared = [k for k, pr in prefs.items() if pr.clears]
    return (max(cleared, key=lambda k: prefs[k].gain) if cleared else default), prefs


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
    repeats = p.repeats if p.repeats is not None else (2 if counts.min() < p.few_positives else 1)
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    frame = frame.reset_index(drop=True)
    grid = tuple(dict.fromkeys((p.lr_c, *p.lr_c_grid)))  # the default first, no duplicates
    folds, oof, lr_oof = _cross_validate(frame, labels, needed, p, n_folds, repeats, grid)
    selection: dict[str, Any] = {"repeats": repeats, "folds": n_folds}
    if "lr" in needed:
        lr_scores = {
            c: _score_candidate("logistic", {"lr": lr_oof[c]}, labels, folds).fold_pr_auc for c in grid
        }
        lr_c, lr_prefs = _prefer(p.lr_c, lr_scores, n_folds, p.selection_margin, p.selection_min_gain)
        oof["lr"] = lr_oof[lr_c]
        selection["lrC"] = lr_c
        selection["lrCGain"] = {str(c): round(pr.gain, 4) for c, pr in lr_prefs.items()}
        p = replace(p, lr_c=lr_c)
    scores = {c: _score_candidate(c, oof, labels, folds) for c in p.candidates}
    if "logistic" in scores and len(scores) > 1:
        chosen, prefs = _prefer(
            "logistic",
            {k: v.fold_pr_auc for k, v in scores.items()},
            n_folds,
            p.selection_margin,
            p.selection_min_gain,
        )
    else:
        chosen, prefs = max(scores.values(), key=lambda s: s.mean).name, {}
    # Calibration on the OOF scores of every repeat: each row counts once per repeat.
    S_all = np.vstack([np.column_stack([oof[c][r] for c in CANDIDATES[chosen]]) for r in range(repeats)])
    coef, intercept = _fit_combiner(S_all, np.tile(labels, repeats))
    S = np.column_stack([oof[c][0] for c in CANDIDATES[chosen]])
    oof_scores = _sigmoid(S @ coef + intercept)
    columns = fit_columns(frame, labels, min_count=p.min_category_count)
    final = fit_parts(encode(frame, columns), labels, columns, set(CANDIDATES[chosen]), p)
    cv: dict[str, dict[str, Any]] = {}
    for name, sc in scores.items():
        cv[name] = {"mean": round(sc.mean, 4), "sd": round(sc.sd, 4)}
        if name in prefs:
            pr = prefs[name]
            cv[name] |= {
                "gain": round(pr.gain, 4),
                "gainSe": round(pr.se, 4),
                "winShare": round(pr.win_share, 2),
            }
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
        cv=cv,
        selection=selection,
        reference=frame.iloc[: min(len(frame), 200)].copy(),
        fit_seconds=time.perf_counter() - t0,
    )


def _cross_validate(
    frame: Any,
    labels: np.ndarray,
    needed: set[str],
    p: TabularParams,
    n_folds: int,
    repeats: int,
    grid: tuple[float, ...],
) -> tuple[np.ndarray, dict[str, np.ndarray], dict[float, np.ndarray]]:
    """Fold ids [repeats, n], OOF raw scores per component [repeats, n], and per C for the LR."""
    n = len(labels)
    folds = np.empty((repeats, n), dtype=np.int64)
    oof = {c: np.empty((repeats, n), dtype=np.float64) for c in needed - {"lr"}}
    lr_oof = {c: np.empty((repeats, n), dtype=np.float64) for c in grid} if "lr" in needed else {}
    for r in range(repeats):
        splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=p.seed + 7919 * r)
        for k, (train, test) in enumerate(splitter.split(np.zeros(n), labels)):
            folds[r, test] = k
            part_frame = frame.iloc[train]
            columns = fit_columns(part_frame, labels[train], min_count=p.min_category_count)
            B_train = encode(part_frame, columns)
            B_test = encode(frame.iloc[test], columns)
            parts = fit_parts(B_train, labels[train], columns, needed - {"lr"}, p)
            for c in needed - {"lr"}:
                oof[c][r, test] = parts.component(c, B_test)
            if lr_oof:
                linear = LinearView.fit(B_train, columns)
                Z_train, Z_test = linear.transform(B_train), linear.transform(B_test)
                for lr_c in grid:
                    lr = _logistic(lr_c).fit(Z_train, labels[train])
                    lr_oof[lr_c][r, test] = lr.decision_function(Z_test)
    return folds, oof, lr_oof
