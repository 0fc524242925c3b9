"""Forecast refresh (statsforecast in the activity), reorder advice on today's stock, alerts once a day."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.synthetic_sales import generate_sales
from shared.inventory.service import adjust_stock
from shared.kernel.errors import NotFound
from shared.kernel.money import Money
from shared.messaging.outbox import PENDING
from shared.pricing.economics import put_economics
from shared.pricing.schemas import SkuEconomicsIn
from shared.replenishment import repository
from shared.replenishment.refresh import refresh_sku, refresh_skus
from shared.replenishment.service import get_forecast, reorder_recommendations
from shared.sales import service as sales
from shared.settings import get_settings


def _history(store: Any, sku: str, days: int = 120, seed: int = 5) -> None:
    start = datetime.now(UTC).date() - timedelta(days=days)
    history = generate_sales(
        n_skus=1, days=days, seed=seed, start=start, intermittent_share=0.0, new_share=0.0
    )
    lines = [json.dumps({**row, "sku": sku}) for row in history.rows()]
    sales.import_sales("\n".join(lines).encode(), store=store)


def _alerts(store: Any) -> list[str]:
    docs = repository.container(store).query_all(PENDING)
    return sorted(d["_outbox"]["event"]["type"] for d in docs)


@pytest.fixture
def sku(store: Any, make_product: Any) -> str:
    product = make_product(price="25.00", stock=10)
    _history(store, product.sku)
    return str(product.sku)


def test_no_forecast_before_a_refresh(store: Any, sku: str) -> None:
    with pytest.raises(NotFound) as caught:
        get_forecast(store=store, sku=sku, settings=get_settings())
    assert caught.value.code == "forecast_not_ready"
    with pytest.raises(NotFound):
        get_forecast(store=store, sku="NOPE-1", settings=get_settings())


def test_refresh_stores_the_forecast_and_alerts_once_a_day(store: Any, sku: str) -> None:
    settings = get_settings()
    assert refresh_sku(store=store, sku=sku, settings=settings) == "refreshed"
    fc = get_forecast(store=store, sku=sku, settings=settings)
    assert fc.horizon_days == settings.inventory_forecast_horizon_days == len(fc.daily)
    assert all(lo <= m <= hi for lo, m, hi in zip(fc.lower, fc.daily, fc.upper, strict=True))
    assert fc.safety_stock > 0 and fc.reorder_point > fc.safety_stock
    assert fc.available == 10 and fc.model_version.startswith(fc.method)
    # 10 units against ~25 a day: below the reorder point and the safety stock.
    assert fc.recommended_order_quantity > 0
    assert _alerts(store) == ["ReorderRecommended", "StockLow"]
    assert refresh_sku(store=store, sku=sku, settings=settings) == "refreshed"
    assert _alerts(store) == ["ReorderRecommended", "StockLow"]  # not again the same day
    listed = reorder_recommendations(store=store, settings=settings, limit=20, continuation_token=None)
    assert [r.sku for r in listed.items] == [sku]
    assert listed.items[0].recommended_order_quantity == fc.recommended_order_quantity


def test_reorder_point_rises_with_lead_time_and_service_level(store: Any, sku: str) -> None:
    settings = get_settings()
    refresh_sku(store=store, sku=sku, settings=settings)
    points = []
    for lead_time, level in [(2, 0.9), (7, 0.9), (14, 0.9), (14, 0.95), (14, 0.99)]:
        put_economics(
            store=store,
            sku=sku,
            data=SkuEconomicsIn(cost=Money.of("5.00", "USD"), lead_time_days=lead_time, service_level=level),
        )
        fc = get_forecast(store=store, sku=sku, settings=settings)
        assert (fc.lead_time_days, fc.service_level) == (lead_time, level)
        points.append((fc.reorder_point, fc.safety_stock))
    rops = [p[0] for p in points]
    assert rops == sorted(rops) and len(set(rops)) == len(rops), points
    assert points[3][1] > points[2][1] and points[4][1] > points[3][1]  # safety stock with service level


def test_well_stocked_skus_are_not_listed_and_short_histories_are_skipped(
    store: Any, sku: str, make_product: Any
) -> None:
    settings = get_settings()
    adjust_stock(store=store, sku=sku, delta=5000, reason="big delivery")
    short = make_product().sku
    _history(store, short, days=20)
    sales_only_days = make_product().sku
    sales.import_sales(
        f"{sales_only_days},{datetime.now(UTC).date() - timedelta(days=1)},3,9.5,0\n".encode(), store=store
    )
    counts = refresh_skus(store=store, skus=[sku, short, sales_only_days], settings=settings)
    assert counts == {"refreshed": 2, "too_short": 1}
    assert _alerts(store).count("ReorderRecommended") == 1  # `short` has 0 on hand
    listed = reorder_recommendations(store=store, settings=settings, limit=20, continuation_token=None)
    assert sku not in [r.sku for r in listed.items]
