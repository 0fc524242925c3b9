"""Hand-written fraud rules: the whole scorer while no model is registered, and hard floors on top of
the model afterwards (a provider `blocked` signal is always a reject, `highest` at least a review)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.fraud.model import Decision, FraudAssessment, FraudInput
from shared.fraud.ports import FraudScorer, Thresholds


@dataclass(frozen=True)
class RuleHit:
    code: str
    weight: float  # this rule's fraud probability on its own; combined as a noisy-OR
    floor: Decision = "approve"  # the least severe decision allowed once this rule fires

    @property
    def reason(self) -> str:
        return f"rule:{self.code}"


def _amount(txn: FraudInput) -> float:
    return float(txn.amount.amount)


def evaluate_rules(txn: FraudInput) -> list[RuleHit]:
    hits: list[RuleHit] = []
    signal = txn.provider_signal
    if signal == "blocked":
        hits.append(RuleHit("provider_blocked", 0.95, "reject"))
    elif signal == "highest":
        hits.append(RuleHit("provider_highest", 0.6, "review"))
    elif signal == "elevated":
        hits.append(RuleHit("provider_elevated", 0.2))
    if txn.distinct_cards_last_hour >= 3:
        hits.append(RuleHit("card_testing", 0.6))
    if txn.orders_last_hour >= 3:
        hits.append(RuleHit("velocity_hour", 0.35))
    elif txn.orders_last_day >= 5:
        hits.append(RuleHit("velocity_day", 0.25))
    ip = txn.ip_country or txn.card_country
    if len({txn.card_country, ip, txn.shipping_country}) == 3:
        hits.append(RuleHit("country_mismatch", 0.35))
    if txn.account_age_days < 1 and _amount(txn) >= 500:
        hits.append(RuleHit("high_value_new_account", 0.45))
    if (
        txn.usual_amount is not None
        and txn.usual_amount.amount > 0
        and _amount(txn) >= 5 * float(txn.usual_amount.amount)
    ):
        hits.append(RuleHit("amount_spike", 0.3))
    if txn.new_card and txn.card_country != (txn.customer_country or txn.shipping_country):
        hits.append(RuleHit("new_foreign_card", 0.15))
    return hits


def floor_of(hits: list[RuleHit]) -> Decision:
    floors = {h.floor for h in hits}
    return "reject" if "reject" in floors else "review" if "review" in floors else "approve"


class RulesScorer(FraudScorer):
    """Rules alone: score = noisy-OR of the fired rules' weights; `modelVersion` is null."""

    def __init__(self, thresholds: Thresholds) -> None:
        self.thresholds = thresholds

    def score(self, txn: FraudInput) -> FraudAssessment:
        hits = evaluate_rules(txn)
        clean = 1.0
        for hit in hits:
            clean *= 1.0 - hit.weight
        score = round(1.0 - clean, 4)
        return FraudAssessment(
            score=score,
            decision=self.thresholds.decide(score, floor_of(hits)),
            reasons=[h.reason for h in hits],
            model_version=None,
        )
