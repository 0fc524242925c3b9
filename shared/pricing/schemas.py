"""The pricing context's API models (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import Field

from shared.kernel.money import Money
from shared.kernel.schema import ApiModel, ListQuery, Page

ProposalStatus = Literal["pending", "approved", "rejected", "expired", "applied"]


class SkuEconomicsIn(ApiModel):
    """What an admin states about a sku. Unit cost is what the margin guardrail and expected
    profit are computed from; it is never shown on a public route."""

    cost: Money
    map_price: Money | None = Field(None, description="minimum advertised price: never recommend below")
    min_price: Money | None = None
    max_price: Money | None = None
    competitor_price: Money | None = Field(None, description="recommendations stay within 0.8-1.2x of it")
    lead_time_days: float | None = Field(
        None, ge=0, le=365, description="supplier lead time (default: settings)"
    )
    service_level: float | None = Field(
        None, gt=0.5, lt=1, description="cycle service level for safety stock"
    )


class SkuEconomicsPublic(SkuEconomicsIn):
    sku: str
    updated_at: datetime


class Bound(ApiModel):
    lower: Money | None
    upper: Money | None


class Bounds(ApiModel):
    lower: Money
    upper: Money
    binding: list[str] = Field(description="the guardrails that limit the recommendation")
    guardrails: dict[str, Bound] = Field(
        description="each guardrail's range: margin, step, map, explicit, competitor, support"
    )


class ElasticityInterval(ApiModel):
    lower: float
    upper: float
    level: float = 0.9


class RecommendationPublic(ApiModel):
    product_id: str
    sku: str
    current_price: Money
    recommended_price: Money
    expected_units: float = Field(description="expected units a day at the recommended price")
    expected_profit: Money = Field(description="expected profit a day at the recommended price")
    current_expected_units: float
    current_expected_profit: Money
    elasticity: float
    elasticity_interval: ElasticityInterval
    bounds: Bounds
    feasible: bool
    reason: str
    model_version: str


class ProposalPublic(ApiModel):
    id: str
    product_id: str
    current_price: Money
    proposed_price: Money
    expected_profit_delta: Money = Field(description="expected profit a day, proposed minus current")
    status: ProposalStatus
    needs_approval: bool
    created_at: datetime
    expires_at: datetime | None = None
    decided_at: datetime | None = None
    decided_by: str | None = None
    applied_at: datetime | None = None
    note: str | None = None
    model_version: str | None = None


ProposalsPublic = Page[ProposalPublic]


class ProposalListQuery(ListQuery):
    status: ProposalStatus | None = None


class DecisionIn(ApiModel):
    note: str | None = Field(None, max_length=500)
