"""Inventory HTTP triggers and the timer that releases expired reservations."""

from __future__ import annotations

import logging

import azure.functions as func

from shared.composition import get_document_store
from shared.http import Api, RequestContext
from shared.inventory import expiry, service
from shared.inventory.schemas import (
    Adjustment,
    AdjustmentCreate,
    Adjustments,
    StockLevels,
    ThresholdUpdate,
)
from shared.kernel.schema import ListQuery

log = logging.getLogger("smartcommerce.inventory")
bp = func.Blueprint()
api = Api(bp, tag="inventory")
ADMIN = ("admin",)


@api.route("inventory/{sku}", methods=["GET"], response=StockLevels)
def inventory_get_levels(ctx: RequestContext) -> StockLevels:
    """On hand, reserved and available (= on hand - reserved) for a sku."""
    return StockLevels.of(service.get_stock(store=get_document_store(), sku=ctx.route["sku"]))


@api.route(
    "inventory/{sku}/adjustments",
    methods=["POST"],
    auth=ADMIN,
    body=AdjustmentCreate,
    response=StockLevels,
    errors=(409,),
)
def inventory_adjust(ctx: RequestContext) -> StockLevels:
    """Change on hand with a reason; 409 if available would go below zero."""
    body = ctx.body_as(AdjustmentCreate)
    item = service.adjust_stock(
        store=get_document_store(),
        sku=ctx.route["sku"],
        delta=body.delta,
        reason=body.reason,
        actor=ctx.require_principal().sub,
    )
    return StockLevels.of(item)


@api.route("inventory/{sku}/adjustments", methods=["GET"], auth=ADMIN, query=ListQuery, response=Adjustments)
def inventory_list_adjustments(ctx: RequestContext) -> Adjustments:
    """The sku's audit trail of adjustments, newest first."""
    q = ctx.query_as(ListQuery)
    page = service.list_adjustments(
        store=get_document_store(),
        sku=ctx.route["sku"],
        limit=q.limit,
        continuation_token=q.continuation_token,
    )
    return Adjustments(
        items=[Adjustment.model_validate(d) for d in page.items], continuation_token=page.continuation_token
    )


@api.route(
    "inventory/{sku}/threshold", methods=["PUT"], auth=ADMIN, body=ThresholdUpdate, response=StockLevels
)
def inventory_set_threshold(ctx: RequestContext) -> StockLevels:
    """The sku's StockLow threshold."""
    item = service.set_low_stock_threshold(
        store=get_document_store(),
        sku=ctx.route["sku"],
        threshold=ctx.body_as(ThresholdUpdate).low_stock_threshold,
    )
    return StockLevels.of(item)


@bp.timer_trigger(schedule="0 * * * * *", arg_name="timer", run_on_startup=False)
def inventory_sweep_reservations(timer: func.TimerRequest) -> None:
    """Every minute: release reservations whose order workflow never released or committed them."""
    released = expiry.sweep_expired(store=get_document_store())
    if released:
        log.info("released %d expired reservations", released)
