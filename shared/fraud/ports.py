"""The fraud port: what the order workflow depends on. Scorers subclass `FraudScorer`."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from shared.fraud.model import DECISION_ORDER, Decision, FraudAssessment, FraudInput


@dataclass(frozen=True)
class Thresholds:
    review: float = 0.5
    reject: float = 0.9

    def decide(self, score: float, floor: Decision = "approve") -> Decision:
        # A misconfigured pair (reject below review) must not turn reviews into approvals.
        reject = max(self.reject, self.review)
        decision: Decision = "reject" if score >= reject else "review" if score >= self.review else "approve"
        return floor if DECISION_ORDER[floor] > DECISION_ORDER[decision] else decision


class FraudScorer(ABC):
    @abstractmethod
    def score(self, txn: FraudInput) -> FraudAssessment:
        """Score one transaction. Must not raise for a valid input (the workflow never blocks)."""
