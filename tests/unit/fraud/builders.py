"""Hand-built transactions for the fraud tests: one obvious case per pattern."""

from __future__ import annotations

from typing import Any

from shared.fraud.model import FraudInput


def txn(**overrides: Any) -> FraudInput:
    """A plainly legitimate order by a long-standing customer; override what the case needs."""
    body: dict[str, Any] = {
        "amount": {"amount": "59.90", "currency": "USD"},
        "itemCount": 2,
        "cardCountry": "US",
        "ipCountry": "US",
        "shippingCountry": "US",
        "customerCountry": "US",
        "accountAgeDays": 420,
        "priorOrders": 6,
        "ordersLastHour": 0,
        "ordersLastDay": 0,
        "distinctCardsLastHour": 1,
        "distinctCardsLastDay": 1,
        "usualAmount": {"amount": "55.00", "currency": "USD"},
        "newCard": False,
        "providerSignal": "normal",
    }
    body.update(overrides)
    return FraudInput.model_validate(body)


def card_testing() -> FraudInput:
    return txn(
        amount={"amount": "3.00", "currency": "USD"},
        itemCount=1,
        cardCountry="BR",
        ipCountry="NG",
        accountAgeDays=0.05,
        priorOrders=7,
        ordersLastHour=7,
        ordersLastDay=7,
        distinctCardsLastHour=8,
        distinctCardsLastDay=8,
        usualAmount={"amount": "6.00", "currency": "USD"},
        newCard=True,
    )


def account_takeover() -> FraudInput:
    return txn(
        amount={"amount": "1400.00", "currency": "USD"},
        itemCount=5,
        cardCountry="RO",
        ipCountry="RU",
        shippingCountry="FR",
        newCard=True,
        distinctCardsLastDay=2,
    )
