"""The fraud use case the route and the workflow call (the scorer is built by shared.composition)."""

from __future__ import annotations

from shared.fraud.model import FraudAssessment, FraudInput
from shared.fraud.ports import FraudScorer


def score_transaction(txn: FraudInput, *, scorer: FraudScorer) -> FraudAssessment:
    return scorer.score(txn)
