"""The HTTP shapes of API.md's recommendation, interaction and experiment routes (camelCase)."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from shared.kernel.schema import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ApiModel, ListQuery

ID_PATTERN = r"^[A-Za-z0-9._:\-]{1,128}$"
NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
Strategy = Literal["hybrid", "collaborative", "content", "popular"]


# --- interactions ---------------------------------------------------------------------------------
class InteractionIn(ApiModel):
    product_id: str = Field(pattern=ID_PATTERN)
    type: Literal["view", "click", "add_to_cart", "purchase"]


class InteractionAccepted(ApiModel):
    id: str
    status: Literal["accepted"] = "accepted"


class InteractionPublic(ApiModel):
    id: str
    product_id: str
    type: str
    at: datetime
    source: str


class InteractionsPublic(ApiModel):
    items: list[InteractionPublic]
    continuation_token: str | None = None


# --- recommendations ------------------------------------------------------------------------------
class RecommendationsQuery(ApiModel):
    product_id: str | None = Field(None, pattern=ID_PATTERN)
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)


class RecommendedItem(ApiModel):
    product_id: str
    score: float
    reason: str


class RecommendationsPublic(ApiModel):
    items: list[RecommendedItem]
    strategy: str = Field(description="hybrid, collaborative, content, popular, or also_bought (?productId=)")
    variant: str | None = Field(None, description="the caller's experiment variant, null outside experiments")
    model_version: str | None = None


# --- experiments ----------------------------------------------------------------------------------
class Blend(ApiModel):
    """Weights of the model's parts for a hybrid variant; a part left out keeps its trained weight."""

    collaborative: float | None = Field(None, ge=0, le=100)
    content: float | None = Field(None, ge=0, le=100)
    popularity: float | None = Field(None, ge=0, le=100)

    def weights(self) -> dict[str, float]:
        return {k: v for k, v in self.model_dump().items() if v is not None}


class VariantConfig(ApiModel):
    """What a variant changes: the strategy, and for `hybrid` optionally the blend weights."""

    strategy: Strategy = "hybrid"
    blend: Blend | None = None


class VariantIn(ApiModel):
    name: str = Field(pattern=NAME_PATTERN)
    weight: float = Field(gt=0, le=1000)
    config: VariantConfig = Field(default_factory=VariantConfig)


class ExperimentCreate(ApiModel):
    name: str = Field(pattern=NAME_PATTERN)
    variants: list[VariantIn] = Field(min_length=2, max_length=10)
    target: Literal["recommendations"]

    @model_validator(mode="after")
    def _variants(self) -> ExperimentCreate:
        names = [v.name for v in self.variants]
        if len(set(names)) != len(names):
            raise ValueError("variant names must be unique")
        if "control" not in names:
            raise ValueError("one variant must be named 'control'")
        for variant in self.variants:
            blend = variant.config.blend
            if blend is not None and blend.weights() and sum(blend.weights().values()) <= 0:
                raise ValueError(f"variant {variant.name}: blend weights may not all be zero")
        return self


class VariantPublic(ApiModel):
    name: str
    weight: float
    config: dict[str, Any]


class ExperimentPublic(ApiModel):
    name: str
    status: Literal["running", "stopped"]
    target: str
    variants: list[VariantPublic]
    created_at: datetime
    stopped_at: datetime | None = None


class VariantResult(ApiModel):
    name: str
    weight: float
    exposures: int = Field(description="distinct users (or anonymous clients) shown this variant")
    conversions: int = Field(description="of those, how many clicked, added to cart or bought afterwards")
    rate: float | None
    lift: float | None = Field(description="rate / control rate - 1; null for control")
    ci95: list[float] | None = Field(description="95 % interval of the lift (log risk ratio)")
    p_value: float | None = Field(description="two-proportion z-test against control, two-sided")


class SrmPublic(ApiModel):
    chi2: float
    p_value: float
    ok: bool


class ExperimentResults(ApiModel):
    name: str
    status: Literal["running", "stopped"]
    target: str
    variants: list[VariantResult]
    srm: SrmPublic
    created_at: datetime
    stopped_at: datetime | None = None


_SAFE_UNIT = re.compile(ID_PATTERN)


def safe_unit(value: str | None) -> str | None:
    """A client id usable as a document id, or None."""
    return value if value and _SAFE_UNIT.match(value) else None


__all__ = ["ListQuery"]
