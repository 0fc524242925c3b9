"""The model+rules scorer: the champion fraud model (onnxruntime) with the hard rules on top.

Falls back to the rules alone (modelVersion null) while no model is promoted, when the model's
feature list differs from this code's, or if scoring fails: the order workflow never blocks on ML.
`reasons`: the fired hard rules, then the features that pushed the score up most, measured by
re-scoring the row with one feature at a time set to a typical legitimate value (the baseline row
recorded with the model), all in one batch through the same ONNX graph.
"""

from __future__ import annotations

import logging

import numpy as np

from models.fraud.features import FEATURE_NAMES, build_features
from models.runtime import LoadedModel, ModelRuntime
from shared.fraud.model import FraudAssessment, FraudInput
from shared.fraud.ports import FraudScorer, Thresholds
from shared.fraud.rules import RulesScorer, evaluate_rules, floor_of

log = logging.getLogger(__name__)
TOP_REASONS = 3
MIN_CONTRIBUTION = 0.01


def raw_columns(txn: FraudInput) -> dict[str, list[object]]:
    """The transaction as the model's raw columns (models.fraud.features), one row."""
    ip = txn.ip_country or txn.card_country
    return {
        "amount": [float(txn.amount.amount)],
        "items": [txn.item_count],
        "account_age_days": [txn.account_age_days],
        "prior_orders": [txn.prior_orders],
        "orders_last_hour": [txn.orders_last_hour],
        "orders_last_day": [txn.orders_last_day],
        "cards_last_hour": [max(txn.distinct_cards_last_hour, 1)],
        "cards_last_day": [max(txn.distinct_cards_last_day, 1)],
        "usual_amount": [float(txn.usual_amount.amount) if txn.usual_amount is not None else 0.0],
        "new_card": [int(txn.new_card)],
        "card_country": [txn.card_country],
        "ip_country": [ip],
        "shipping_country": [txn.shipping_country],
        "home_country": [txn.customer_country or txn.shipping_country],
        "provider_signal": [txn.provider_signal],
    }


def contributions(model: LoadedModel, row: np.ndarray, baseline: np.ndarray) -> tuple[float, np.ndarray]:
    """(score, per-feature score drop when that feature takes its baseline value)."""
    n = row.shape[1]
    batch = np.repeat(row, n + 1, axis=0)
    idx = np.arange(n)
    batch[idx + 1, idx] = baseline
    scores = model.run(batch).reshape(-1).astype(np.float64)
    return float(scores[0]), scores[0] - scores[1:]


class ModelFraudScorer(FraudScorer):
    def __init__(self, runtime: ModelRuntime, thresholds: Thresholds) -> None:
        self._runtime = runtime
        self.thresholds = thresholds
        self._rules = RulesScorer(thresholds)

    def _usable(self) -> LoadedModel | None:
        model = self._runtime.current()
        if model is None:
            return None
        if tuple(model.metadata.get("featureNames", ())) != FEATURE_NAMES:
            log.error("fraud model %s has another feature list; scoring with rules only", model.version)
            return None
        return model

    def score(self, txn: FraudInput) -> FraudAssessment:
        model = self._usable()
        if model is None:
            return self._rules.score(txn)
        try:
            row = build_features(raw_columns(txn))
            baseline = np.asarray(model.metadata["baseline"], dtype=np.float32)
            score, deltas = contributions(model, row, baseline)
        except Exception:
            log.exception("fraud model %s failed; scoring with rules only", model.version)
            return self._rules.score(txn)
        hard = [h for h in evaluate_rules(txn) if h.floor != "approve"]
        reasons = [h.reason for h in hard]
        for i in np.argsort(-deltas)[:TOP_REASONS]:
            if deltas[i] >= MIN_CONTRIBUTION:
                reasons.append(f"feature:{FEATURE_NAMES[i]}:+{deltas[i]:.2f}")
        score = round(min(max(score, 0.0), 1.0), 4)
        return FraudAssessment(
            score=score,
            decision=self.thresholds.decide(score, floor_of(hard)),
            reasons=reasons,
            model_version=model.version,
        )
