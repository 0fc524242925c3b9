"""What is scored and what comes back (the body and response of `POST /api/fraud/score`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from shared.kernel.money import Money
from shared.kernel.schema import ApiModel

Decision = Literal["approve", "review", "reject"]
ProviderSignal = Literal["normal", "elevated", "highest", "blocked"]
CountryCode = str  # validated by the pattern below (ISO 3166-1 alpha-2)
_COUNTRY = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2")
DECISION_ORDER: dict[str, int] = {"approve": 0, "review": 1, "reject": 2}


class FraudInput(ApiModel):
    """One transaction and what is known about its customer when it is scored.

    History counts are the customer's orders *before* this one; distinct-card counts include this
    order's card. Amounts are read in the shop's currency (no conversion is done).
    """

    order_id: str | None = Field(None, max_length=200)
    customer_id: str | None = Field(None, max_length=200)
    amount: Money
    item_count: int = Field(1, ge=1, le=10_000)
    card_country: CountryCode = _COUNTRY
    # Unknown IP country (e.g. an order placed by support) is treated as the card's country.
    ip_country: CountryCode | None = Field(None, pattern=r"^[A-Z]{2}$")
    shipping_country: CountryCode = _COUNTRY
    # The customer's profile country; when unknown, the shipping country.
    customer_country: CountryCode | None = Field(None, pattern=r"^[A-Z]{2}$")
    account_age_days: float = Field(0.0, ge=0, le=36_500)
    prior_orders: int = Field(0, ge=0, le=1_000_000)
    orders_last_hour: int = Field(0, ge=0, le=100_000)
    orders_last_day: int = Field(0, ge=0, le=100_000)
    distinct_cards_last_hour: int = Field(1, ge=0, le=10_000)
    distinct_cards_last_day: int = Field(1, ge=0, le=10_000)
    usual_amount: Money | None = Field(None, description="mean of the customer's earlier orders")
    new_card: bool = False
    provider_signal: ProviderSignal = "normal"


class FraudAssessment(ApiModel):
    score: float = Field(ge=0.0, le=1.0)
    decision: Decision
    reasons: list[str] = Field(default_factory=list, description="fired rules and top feature contributions")
    model_version: str | None = None
