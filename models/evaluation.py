"""Challenger evaluation: the candidate and the champion scored by onnxruntime on the same holdout."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from models.metrics import average_precision, recall_at_fpr
from models.parity import onnx_predict
from models.registry import ModelRegistry


@dataclass(frozen=True)
class Evaluation:
    candidate: str
    champion: str | None
    candidate_pr_auc: float
    champion_pr_auc: float | None
    candidate_recall_at_1pct_fpr: float
    champion_recall_at_1pct_fpr: float | None
    holdout_rows: int
    promoted: bool

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def promote_if_better(
    registry: ModelRegistry, name: str, candidate: str, X: np.ndarray, y: np.ndarray, *, min_gain: float = 0.0
) -> Evaluation:
    """Promote `candidate` only if its PR-AUC beats the champion's by more than `min_gain`.

    With no champion the candidate is promoted. The pointer read here is the one the write is
    conditioned on, so a champion promoted meanwhile makes this raise ConcurrentUpdate instead
    of being replaced by a model that was never compared with it.
    """
    current = registry.champion(name)
    cand_scores = onnx_predict(registry.load_onnx(name, candidate), X)
    cand_ap, cand_recall = average_precision(y, cand_scores), recall_at_fpr(y, cand_scores)
    champ_ap = champ_recall = None
    if current is not None:
        champ_scores = onnx_predict(registry.load_onnx(name, current.version), X)
        champ_ap, champ_recall = average_precision(y, champ_scores), recall_at_fpr(y, champ_scores)
    better = champ_ap is None or cand_ap > champ_ap + min_gain
    evaluation = Evaluation(
        candidate,
        current.version if current else None,
        cand_ap,
        champ_ap,
        cand_recall,
        champ_recall,
        len(y),
        better,
    )
    if better:
        registry.promote(
            name, candidate, reason="challenger won" if current else "first model", expected=current
        )
    registry.save_evaluation(name, candidate, evaluation.to_json())
    return evaluation
