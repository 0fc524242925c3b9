"""Inventory analytics reads: the stored forecast with the reorder maths on today's stock levels,
and the skus to reorder. numpy + stdlib only (no statsforecast, pandas)."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from shared.inventory.model import StockItem
from shared.kernel.errors import NotFound, ValidationFailed
from shared.ports.documents import DocumentStore
from shared.replenishment import repository
from shared.replenishment.maths import advice_for
from shared.replenishment.schemas import (
    ForecastPublic,
    ReorderRecommendationPublic,
    ReorderRecommendationsPublic,
)
from shared.settings import Settings


@dataclass(frozen=True)
class Planning:
    lead_time: float
    service_level: float


def planning(store: DocumentStore, sku: str, settings: Settings) -> Planning:
    """The sku's own lead time and service level (PUT /api/pricing/skus/{sku}), else the defaults."""
    from shared.pricing.economics import get_economics

    e = get_economics(store=store, sku=sku)
    return Planning(
        lead_time=e.lead_time_days
        if e and e.lead_time_days is not None
        else settings.inventory_lead_time_days,
        service_level=e.service_level
        if e and e.service_level is not None
        else settings.inventory_service_level,
    )


def _stock(store: DocumentStore, sku: str) -> StockItem:
    from shared.inventory.service import find_stock

    item = find_stock(store=store, sku=sku)
    if item is None:
        raise NotFound(f"no inventory record for sku {sku}")
    return item


def get_forecast(*, store: DocumentStore, sku: str, settings: Settings) -> ForecastPublic:
    item = _stock(store, sku)
    doc = repository.get_forecast(store, sku)
    if doc is None:
        raise NotFound(
            f"no forecast for sku {sku} yet: it needs 14 days of sales history and a forecast refresh",
            code="forecast_not_ready",
        )
    plan = planning(store, sku, settings)
    advice = advice_for(
        doc, available=item.available, lead_time=plan.lead_time, service_level=plan.service_level
    )
    return ForecastPublic(
        sku=sku,
        horizon_days=len(doc["daily"]),
        start_date=doc["startDate"],
        daily=doc["daily"],
        lower=doc["lower"],
        upper=doc["upper"],
        reorder_point=round(advice.reorder_point, 3),
        safety_stock=round(advice.safety_stock, 3),
        recommended_order_quantity=advice.order_quantity,
        lead_time_days=plan.lead_time,
        service_level=plan.service_level,
        available=item.available,
        days_of_cover=None if advice.days_of_cover is None else round(advice.days_of_cover, 2),
        method=doc["method"],
        intermittent=bool(doc["intermittent"]),
        generated_at=doc["generatedAt"],
        model_version=doc["modelVersion"],
    )


def recommendation(
    store: DocumentStore, doc: dict[str, Any], settings: Settings
) -> ReorderRecommendationPublic | None:
    """The sku's reorder advice when its available stock is at or below its reorder point."""
    sku = str(doc["sku"])
    try:
        item = _stock(store, sku)
    except NotFound:
        return None
    plan = planning(store, sku, settings)
    advice = advice_for(
        doc, available=item.available, lead_time=plan.lead_time, service_level=plan.service_level
    )
    if item.available > advice.reorder_point:
        return None
    return ReorderRecommendationPublic(
        sku=sku,
        product_id=item.product_id,
        on_hand=item.on_hand,
        reserved=item.reserved,
        available=item.available,
        reorder_point=round(advice.reorder_point, 3),
        safety_stock=round(advice.safety_stock, 3),
        recommended_order_quantity=advice.order_quantity,
        lead_time_days=plan.lead_time,
        service_level=plan.service_level,
        days_of_cover=None if advice.days_of_cover is None else round(advice.days_of_cover, 2),
        forecast_generated_at=doc["generatedAt"],
    )


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        return max(int(json.loads(base64.urlsafe_b64decode(token.encode()))["o"]), 0)
    except (ValueError, TypeError, KeyError):
        raise ValidationFailed.field("continuationToken", "is not a token this list returned") from None


def reorder_recommendations(
    *, store: DocumentStore, settings: Settings, limit: int, continuation_token: str | None
) -> ReorderRecommendationsPublic:
    """Skus at or below their reorder point, most urgent (fewest days of cover) first."""
    start = _offset(continuation_token)
    found = [
        r for d in repository.all_forecasts(store) if (r := recommendation(store, d, settings)) is not None
    ]
    found.sort(key=lambda r: (r.days_of_cover if r.days_of_cover is not None else -1.0, r.sku))
    page = found[start : start + limit]
    token = None
    if start + limit < len(found):
        token = base64.urlsafe_b64encode(json.dumps({"o": start + limit}).encode()).decode()
    return ReorderRecommendationsPublic(items=page, continuation_token=token)
