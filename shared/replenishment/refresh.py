"""The daily refresh of one sku (an activity: imports statsforecast and pandas).

Fit the sku's daily sales up to yesterday (`models.forecast.fit`: per-series choice by
rolling-origin backtest, an intermittent method for slow movers), store the horizon's means,
calibrated spreads and 90% interval, and alert once a day per sku: `ReorderRecommended` when the
available stock is at or below the reorder point, `StockLow` when it is at or below the safety
stock. The alert events commit in the same batch as the document (outbox), and the document
records the day of its last alerts, so a retried activity never alerts twice.
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from shared.inventory.events import StockLow
from shared.messaging.events import new_event
from shared.messaging.outbox import UnitOfWork
from shared.ports.documents import DocumentStore
from shared.replenishment import repository
from shared.replenishment.events import ReorderRecommended
from shared.replenishment.maths import advice_for
from shared.replenishment.service import _stock, planning
from shared.settings import Settings
from shared.storage.retry import retry_on_conflict

log = logging.getLogger("smartcommerce.replenishment")
MIN_DAYS = 14
FAST = ("snaive", "ets", "theta")


def _fit(units: np.ndarray, first: date, horizon: int, methods: str) -> tuple[Any, int]:
    import pandas as pd

    from models import forecast
    from models.forecast.model import is_intermittent

    index = pd.date_range(first, periods=len(units), freq="D")
    y = pd.Series(units.astype(float), index=index)
    chosen = None if methods == "full" or is_intermittent(units.astype(float)) else FAST
    return forecast.fit(y, horizon=min(14, horizon), methods=chosen), horizon


def refresh_sku(*, store: DocumentStore, sku: str, settings: Settings, today: date | None = None) -> str:
    """'refreshed', 'too_short' or 'unknown_sku'."""
    from shared.sales.service import daily_series

    today = today or datetime.now(UTC).date()
    series = daily_series(sku, store=store, until=today - timedelta(days=1))
    series = [d for d in series if d.day < today]
    if len(series) < MIN_DAYS:
        return "too_short"
    units = np.asarray([max(d.units, 0) for d in series], dtype=float)
    horizon = settings.inventory_forecast_horizon_days
    fc, h = _fit(units, series[0].day, horizon, settings.inventory_forecast_methods)
    mean, sd = fc.predict(h), fc.std(h)
    lower, upper = fc.interval(h, level=0.9)
    now = datetime.now(UTC)
    doc: dict[str, Any] = {
        "id": repository.DOC_ID,
        "sku": sku,
        "docType": "forecast",
        "startDate": today.isoformat(),
        "daily": [round(float(v), 4) for v in mean],
        "std": [round(float(v), 4) for v in sd],
        "lower": [round(float(v), 4) for v in lower],
        "upper": [round(float(v), 4) for v in upper],
        "method": fc.method,
        "intermittent": bool(fc.intermittent),
        "observations": len(units),
        "backtest": fc.summary().get("backtest"),
        "generatedAt": now.isoformat(),
        "modelVersion": f"{fc.method}@{today.isoformat()}",
    }
    _save_with_alerts(store, sku, doc, settings, today)
    return "refreshed"


def _save_with_alerts(
    store: DocumentStore, sku: str, doc: dict[str, Any], settings: Settings, today: date
) -> None:
    container = repository.container(store)

    def step() -> None:
        existing = repository.get_forecast(store, sku)
        try:
            item = _stock(store, sku)
        except Exception:
            item = None
        plan = planning(store, sku, settings)
        events = []
        alerted = dict((existing or {}).get("alerted") or {})
        if item is not None:
            advice = advice_for(
                doc, available=item.available, lead_time=plan.lead_time, service_level=plan.service_level
            )
            day = today.isoformat()
            if item.available <= advice.reorder_point and alerted.get("reorder") != day:
                alerted["reorder"] = day
                events.append(
                    new_event(
                        ReorderRecommended(
                            sku=sku,
                            available=item.available,
                            reorder_point=round(advice.reorder_point, 3),
                            safety_stock=round(advice.safety_stock, 3),
                            order_quantity=advice.order_quantity,
                            lead_time_days=plan.lead_time,
                            service_level=plan.service_level,
                            days_of_cover=None
                            if advice.days_of_cover is None
                            else round(advice.days_of_cover, 2),
                        ),
                        subject=sku,
                    )
                )
            if item.available <= advice.safety_stock and alerted.get("stockLow") != day:
                alerted["stockLow"] = day
                threshold = int(np.ceil(advice.safety_stock))
                events.append(
                    new_event(StockLow(sku=sku, available=item.available, threshold=threshold), subject=sku)
                )
        uow = UnitOfWork(container, sku)
        new_doc = {**doc, "alerted": alerted}
        if existing is None:
            uow.create(new_doc)
        else:
            uow.replace(new_doc, if_match=existing["_etag"])
        uow.emit(*events)
        uow.commit()  # BatchFailed (a concurrent refresh of the sku): retry_on_conflict reads again

    retry_on_conflict(step, attempts=5)


def refresh_skus(*, store: DocumentStore, skus: list[str], settings: Settings) -> dict[str, int]:
    counts: dict[str, int] = {}
    for sku in skus:
        try:
            outcome = refresh_sku(store=store, sku=sku, settings=settings)
        except ValueError as exc:  # a series no method can fit: skip it, keep the others
            log.warning("forecast of %s failed: %s", sku, exc)
            outcome = "failed"
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
