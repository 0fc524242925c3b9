"""The rules-only scorer (what serves while no model is registered) on obvious cases."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from shared.fraud.ports import Thresholds
from shared.fraud.rules import RulesScorer
from tests.unit.fraud.builders import account_takeover, card_testing, txn

rules = RulesScorer(Thresholds(review=0.5, reject=0.9))


def test_an_ordinary_order_is_approved_with_no_reasons() -> None:
    result = rules.score(txn())
    assert (result.decision, result.score, result.reasons, result.model_version) == ("approve", 0.0, [], None)


@pytest.mark.parametrize(("signal", "decision"), [("blocked", "reject"), ("highest", "review")])
def test_provider_signals_set_a_floor(signal: str, decision: str) -> None:
    result = rules.score(txn(providerSignal=signal))
    assert result.decision == decision and f"rule:provider_{signal}" in result.reasons


def test_card_testing_burst_is_at_least_reviewed() -> None:
    result = rules.score(card_testing())
    assert result.decision in ("review", "reject")
    assert {"rule:card_testing", "rule:velocity_hour"} <= set(result.reasons)


def test_account_takeover_shape_is_flagged() -> None:
    result = rules.score(account_takeover())
    assert result.decision != "approve"
    assert {"rule:country_mismatch", "rule:amount_spike", "rule:new_foreign_card"} <= set(result.reasons)


def test_thresholds_decide_and_a_swapped_pair_never_approves_a_review() -> None:
    assert Thresholds(0.5, 0.9).decide(0.49) == "approve"
    assert Thresholds(0.5, 0.9).decide(0.5) == "review"
    assert Thresholds(0.5, 0.9).decide(0.95) == "reject"
    assert Thresholds(0.5, 0.9).decide(0.1, floor="review") == "review"
    assert Thresholds(0.7, 0.3).decide(0.6) == "approve" and Thresholds(0.7, 0.3).decide(0.75) == "reject"


def test_invalid_input_is_refused() -> None:
    with pytest.raises(ValidationError):
        txn(cardCountry="usa")
    with pytest.raises(ValidationError):
        txn(amount={"amount": 12.5, "currency": "USD"})  # floats are not money
    with pytest.raises(ValidationError):
        txn(providerSignal="maybe")
