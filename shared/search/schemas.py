"""Request and response models of the search routes (API.md, "Recommendations, search, ...")."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from pydantic import Field

from shared.catalog.schemas import PriceFilter
from shared.kernel.schema import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ApiModel

Mode = Literal["keyword", "semantic", "hybrid"]
Sort = Literal["relevance", "price_asc", "price_desc", "popularity"]
MAX_QUERY_CHARS = 200
QUERY_ID_PATTERN = r"^\d{8}-[0-9a-f]{32}$"  # <UTC day>-<uuid hex>: the day is the log's partition


class SearchQuery(ApiModel):
    q: str = Field(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        pattern=r"\S",
        description="What the shopper typed (not blank)",
    )
    mode: Mode = "hybrid"
    category: str | None = Field(None, max_length=64)
    brand: str | None = Field(None, max_length=64)
    min_price: PriceFilter | None = Field(None, ge=0, max_digits=18, decimal_places=6)
    max_price: PriceFilter | None = Field(None, ge=0, max_digits=18, decimal_places=6)
    in_stock: bool = Field(False, description="Only products with stock available")
    sort: Sort = "relevance"
    # Default: personal when a valid token comes along (API.md); `false` asks for the plain ranking.
    personalize: bool | None = None
    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    continuation_token: str | None = Field(None, max_length=512)


class SearchItem(ApiModel):
    product_id: str
    name: str
    score: float
    category_id: str
    brand_id: str
    price: Decimal
    in_stock: bool


class FacetEntry(ApiModel):
    id: str
    name: str
    count: int


class PriceBandEntry(ApiModel):
    min: Decimal
    max: Decimal | None
    count: int


class SearchFacets(ApiModel):
    category: list[FacetEntry]
    brand: list[FacetEntry]
    price: list[PriceBandEntry]


class SearchResponse(ApiModel):
    items: list[SearchItem]
    total: int
    total_exact: bool = Field(description="False when a very broad keyword match was capped")
    query_id: str
    mode: Mode
    personalized: bool
    facets: SearchFacets
    did_you_mean: str | None = None
    continuation_token: str | None = None


class SuggestQuery(ApiModel):
    q: str = Field(min_length=1, max_length=100, description="A prefix")
    limit: int = Field(8, ge=1, le=20)


class SuggestionItem(ApiModel):
    text: str
    kind: Literal["query", "product", "brand", "category"]
    score: float


class SuggestResponse(ApiModel):
    suggestions: list[SuggestionItem]


class ClickIn(ApiModel):
    query_id: str = Field(pattern=QUERY_ID_PATTERN, description="The queryId GET /api/search returned")
    product_id: str = Field(min_length=1, max_length=128)
    position: int = Field(ge=1, le=1000, description="1-based rank of the product in the results")


class ClickAccepted(ApiModel):
    query_id: str
    product_id: str
    position: int


class AnalyticsQuery(ApiModel):
    from_: date | None = Field(None, alias="from", description="First day (UTC), default 7 days ago")
    to: date | None = Field(None, description="Last day (UTC, inclusive), default today")
    limit: int = Field(20, ge=1, le=100)


class QueryCount(ApiModel):
    query: str
    count: int


class SearchAnalytics(ApiModel):
    from_: date = Field(alias="from")
    to: date
    searches: int
    clicks: int
    searches_with_click: int
    click_through_rate: float = Field(description="Searches with at least one click / searches")
    mean_reciprocal_rank: float = Field(
        description="Mean of 1/position of the best-placed click, over searches with a click"
    )
    top_queries: list[QueryCount]
    zero_result_queries: list[QueryCount]


class ReindexJob(ApiModel):
    id: str
    status: Literal["queued", "running", "succeeded", "failed"]
    requested_by: str
    requested_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    products: int | None = None
    seconds: float | None = None
    snapshot_id: str | None = None
    error: str | None = None
    status_uri: str
