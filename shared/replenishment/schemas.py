"""API models of inventory analytics (camelCase on the wire)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from shared.kernel.schema import ApiModel, Page


class ForecastPublic(ApiModel):
    sku: str
    horizon_days: int
    start_date: date = Field(description="the day of daily[0]")
    daily: list[float] = Field(description="expected units per day")
    lower: list[float] = Field(description="90% interval, lower end per day")
    upper: list[float] = Field(description="90% interval, upper end per day")
    reorder_point: float
    safety_stock: float
    recommended_order_quantity: int
    lead_time_days: float
    service_level: float
    available: int
    days_of_cover: float | None
    method: str
    intermittent: bool
    generated_at: datetime
    model_version: str


class ReorderRecommendationPublic(ApiModel):
    sku: str
    product_id: str | None
    on_hand: int
    reserved: int
    available: int
    reorder_point: float
    safety_stock: float
    recommended_order_quantity: int
    lead_time_days: float
    service_level: float
    days_of_cover: float | None
    forecast_generated_at: datetime


ReorderRecommendationsPublic = Page[ReorderRecommendationPublic]


class RefreshStarted(ApiModel):
    instance_id: str
    status_query_get_uri: str
