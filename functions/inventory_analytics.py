"""Inventory analytics: a sku's forecast and reorder advice, the skus to reorder, and the daily
timer (and admin trigger) of the forecast refresh orchestration."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import azure.durable_functions as df
import azure.functions as func

from functions.admin_jobs import JobStatus, accepted, job_status
from orchestrations.forecast_refresh import ORCHESTRATOR
from shared.composition import get_document_store
from shared.http import Api, RequestContext, Response
from shared.kernel.schema import ListQuery
from shared.replenishment import service
from shared.replenishment.schemas import ForecastPublic, RefreshStarted, ReorderRecommendationsPublic
from shared.settings import get_settings

log = logging.getLogger("smartcommerce.replenishment")
bp = df.Blueprint()
api = Api(bp, tag="inventory analytics")
ADMIN = ("admin",)


@api.route("inventory/{sku}/forecast", methods=["GET"], auth=ADMIN, response=ForecastPublic)
def inventory_get_forecast(ctx: RequestContext) -> ForecastPublic:
    """Daily demand forecast, safety stock, reorder point and order quantity for a sku."""
    return service.get_forecast(store=get_document_store(), sku=ctx.route["sku"], settings=get_settings())


@api.route(
    "inventory/reorder-recommendations",
    methods=["GET"],
    auth=ADMIN,
    query=ListQuery,
    response=ReorderRecommendationsPublic,
)
def inventory_reorder_recommendations(ctx: RequestContext) -> ReorderRecommendationsPublic:
    """Skus whose available stock is at or below their reorder point, fewest days of cover first."""
    q = ctx.query_as(ListQuery)
    return service.reorder_recommendations(
        store=get_document_store(),
        settings=get_settings(),
        limit=q.limit,
        continuation_token=q.continuation_token,
    )


@api.route(
    "inventory/forecasts/refresh",
    methods=["POST"],
    auth=ADMIN,
    status=202,
    response=RefreshStarted,
    durable_client=True,
)
async def inventory_refresh_forecasts(ctx: RequestContext) -> Response:
    """Start the forecast refresh now (202 + the orchestration's status URL)."""
    instance_id = await ctx.client.start_new(ORCHESTRATOR, None, {})
    # Our own status route, checked with the caller's token (functions/admin_jobs.py says why).
    return accepted(instance_id, f"/api/inventory/forecasts/refresh/{instance_id}")


@api.route(
    "inventory/forecasts/refresh/{instanceId}",
    methods=["GET"],
    auth=ADMIN,
    response=JobStatus,
    durable_client=True,
    summary="Status of a forecast refresh started by POST /inventory/forecasts/refresh",
)
async def inventory_refresh_status(ctx: RequestContext) -> JobStatus:
    return await job_status(
        ctx.client, ctx.route.get("instanceId", ""), orchestrator=ORCHESTRATOR, name="forecast refresh"
    )


@bp.timer_trigger(schedule="%INVENTORY_FORECAST_SCHEDULE%", arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def inventory_daily_forecasts(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    """Daily: refit every sku's forecast and alert (StockLow, ReorderRecommended)."""
    instance_id = f"forecast-refresh-{datetime.now(UTC):%Y%m%d}"
    status = await client.get_status(instance_id)
    if status is not None and getattr(status, "runtime_status", None) is not None:
        log.info("forecast refresh %s exists already", instance_id)
        return
    await client.start_new(ORCHESTRATOR, instance_id, {})
    log.info("forecast refresh started: %s", instance_id)
