"""Orders HTTP triggers: place (starts the workflow), read, list, events, cancel, review, refund, ship."""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from shared.composition import get_order_deps
from shared.http import Api, RequestContext, Response
from shared.orders import refund_requests, service, workflow
from shared.orders.model import Order, RefundRequestPublic, public_view
from shared.orders.recovery import recover_orphans
from shared.orders.schemas import (
    OrderAccepted,
    OrderEvents,
    OrderListQuery,
    OrdersPage,
    PlaceOrder,
    RefundRequest,
    RefundRequestDecisionIn,
    RefundRequestIn,
    RefundRequestsPage,
    RefundResult,
    ReviewDecision,
    ShipRequest,
)
from shared.settings import get_settings

log = logging.getLogger("smartcommerce.orders")
bp = df.Blueprint()
api = Api(bp, tag="orders")
STAFF = ("support", "admin")
# Staff shop too: an admin or support person places orders for themselves like any customer.
SHOPPERS = ("customer", "support", "admin")
# How long a client should wait before polling the order a 202 points at: the workflow usually
# decides (reserve, authorize, fraud check, capture) within about a second.
RETRY_AFTER_SECONDS = "1"


async def _ensure_started(client: Any, order_id: str) -> None:
    await workflow.start(client, get_order_deps(), order_id)


def _accepted(order_id: str, status: str, code: int = 202) -> Response:
    return Response(
        OrderAccepted(order_id=order_id, status=status),
        status=code,  # type: ignore[arg-type]
        headers={"Location": f"/api/orders/{order_id}", "Retry-After": RETRY_AFTER_SECONDS},
    )


ACCEPTED_HEADERS = ("Location", "Retry-After")


@api.route(
    "orders",
    methods=["POST"],
    auth=SHOPPERS,
    body=PlaceOrder,
    response=OrderAccepted,
    status=202,
    durable_client=True,
    headers=("Idempotency-Key",),
    response_headers=ACCEPTED_HEADERS,
    summary="Place an order (priced from the catalog; the workflow runs after 202)",
)
async def place_order(ctx: RequestContext) -> Response:
    placed = service.place_order(
        get_order_deps(), ctx.require_principal(), ctx.body_as(PlaceOrder), ctx.header("idempotency-key")
    )
    await _ensure_started(ctx.client, placed.order_id)
    return _accepted(placed.order_id, placed.status)


@api.route(
    "orders/{orderId}",
    methods=["GET"],
    auth="authenticated",
    response=Order,
    response_headers=("ETag",),
    summary="An order (its owner, support or admin), with its ETag",
)
def get_order(ctx: RequestContext) -> Response:
    state = service.get_order(get_order_deps(), ctx.route["orderId"], ctx.require_principal())
    order, etag = public_view(state)  # once per head version: the clients poll this route
    return Response(order, headers={"ETag": etag})


@api.route(
    "orders",
    methods=["GET"],
    auth="authenticated",
    query=OrderListQuery,
    response=OrdersPage,
    summary="Own orders; support and admin see all",
)
def list_orders(ctx: RequestContext) -> OrdersPage:
    query = ctx.query_as(OrderListQuery)
    page = service.list_orders(
        get_order_deps(),
        ctx.require_principal(),
        status=query.status,
        limit=query.limit,
        token=query.continuation_token,
    )
    return OrdersPage(
        items=[Order.model_validate(doc) for doc in page.items], continuation_token=page.continuation_token
    )


@api.route(
    "orders/{orderId}/events",
    methods=["GET"],
    auth="authenticated",
    response=OrderEvents,
    summary="The order's event stream, oldest first",
)
def order_events(ctx: RequestContext) -> OrderEvents:
    items = service.order_events(get_order_deps(), ctx.route["orderId"], ctx.require_principal())
    return OrderEvents.model_validate({"items": items})


@api.route(
    "orders/{orderId}/cancel",
    methods=["POST"],
    auth="authenticated",
    response=OrderAccepted,
    durable_client=True,
    status=202,
    errors=(409, 412),
    headers=("If-Match",),
    response_headers=ACCEPTED_HEADERS,
    summary="Cancel: release, void or refund; then `cancelled`",
)
async def cancel_order(ctx: RequestContext) -> Response:
    order_id = ctx.route["orderId"]
    deps = get_order_deps()
    await workflow.request_cancellation(ctx.client, deps, order_id, ctx.require_principal(), ctx.if_match)
    return _accepted(order_id, service.get_order(deps, order_id, ctx.require_principal()).status)


@api.route(
    "orders/{orderId}/review",
    methods=["POST"],
    auth=STAFF,
    body=ReviewDecision,
    response=OrderAccepted,
    durable_client=True,
    status=202,
    errors=(409, 412),
    headers=("If-Match",),
    response_headers=ACCEPTED_HEADERS,
    summary="Approve or reject an order awaiting review",
)
async def review_order(ctx: RequestContext) -> Response:
    order_id = ctx.route["orderId"]
    decision = ctx.body_as(ReviewDecision)
    payload = {"decision": decision.decision, "note": decision.note, "by": ctx.require_principal().sub}
    state = await workflow.submit_review(ctx.client, get_order_deps(), order_id, payload, ctx.if_match)
    return _accepted(order_id, state.status)


@bp.timer_trigger(schedule="%ORDER_RECOVERY_SCHEDULE%", arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def order_recovery_sweep(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    """Start the workflow of orders left `pending` with none (their POST died before starting it)."""
    started = await recover_orphans(
        client,
        get_order_deps(),
        workflow=workflow.WORKFLOW,
        grace_seconds=get_settings().order_recovery_grace_seconds,
    )
    if started:
        log.warning("recovery sweep started %d order workflows", len(started))


@api.route(
    "orders/{orderId}/refunds",
    methods=["POST"],
    auth=STAFF,
    body=RefundRequest,
    response=RefundResult,
    status=201,
    errors=(409, 412),
    headers=("Idempotency-Key", "If-Match"),
    summary="Refund part or all of the captured amount (409 beyond what is left)",
)
def refund_order(ctx: RequestContext) -> Response:
    body = ctx.body_as(RefundRequest)
    if body.request_id is not None:  # staff answer a customer's refund request by refunding
        _, result = refund_requests.approve(
            get_order_deps(),
            ctx.route["orderId"],
            body.request_id,
            ctx.require_principal(),
            refund=body,
            if_match=ctx.if_match,
        )
        return Response(result, status=201)
    result = service.refund_order(
        get_order_deps(),
        ctx.route["orderId"],
        ctx.require_principal(),
        body,
        ctx.header("idempotency-key"),
        ctx.if_match,
    )
    return Response(result, status=201)


@api.route(
    "orders/{orderId}/ship",
    methods=["POST"],
    auth=("admin",),
    body=ShipRequest,
    body_required=False,
    response=OrderAccepted,
    status=202,
    errors=(409, 412),
    headers=("If-Match",),
    response_headers=ACCEPTED_HEADERS,
    summary="Ship a confirmed order; the carrier and tracking number are shown on the order",
)
def ship_order(ctx: RequestContext) -> Response:
    shipment = ctx.body if isinstance(ctx.body, ShipRequest) else None
    state = service.ship_order(get_order_deps(), ctx.route["orderId"], shipment, ctx.if_match)
    return _accepted(state.id, state.status)


@api.route(
    "orders/{orderId}/refund-requests",
    methods=["POST"],
    auth="authenticated",
    body=RefundRequestIn,
    response=RefundRequestPublic,
    status=201,
    errors=(403, 409),  # 403: staff refund directly rather than ask
    response_headers=("Location",),
    summary="Ask for a refund of your own delivered (shipped) order; support or an admin decides",
)
def request_refund(ctx: RequestContext) -> Response:
    order_id = ctx.route["orderId"]
    created = refund_requests.request_refund(
        get_order_deps(), order_id, ctx.require_principal(), ctx.body_as(RefundRequestIn)
    )
    location = f"/api/orders/{order_id}/refund-requests/{created.id}"
    return Response(created, status=201, headers={"Location": location})


@api.route(
    "orders/{orderId}/refund-requests",
    methods=["GET"],
    auth="authenticated",
    response=RefundRequestsPage,
    summary="The order's refund requests (its owner, support or admin)",
)
def list_refund_requests(ctx: RequestContext) -> RefundRequestsPage:
    items = refund_requests.list_requests(get_order_deps(), ctx.route["orderId"], ctx.require_principal())
    return RefundRequestsPage(items=items)


@api.route(
    "orders/{orderId}/refund-requests/{requestId}/approve",
    methods=["POST"],
    auth=STAFF,
    body=RefundRequestDecisionIn,
    body_required=False,
    response=RefundRequestPublic,
    errors=(409,),
    summary="Approve a refund request: refunds what it asked for (once, however often approved)",
)
def approve_refund_request(ctx: RequestContext) -> RefundRequestPublic:
    note = ctx.body.note if isinstance(ctx.body, RefundRequestDecisionIn) else None
    request, _ = refund_requests.approve(
        get_order_deps(), ctx.route["orderId"], ctx.route["requestId"], ctx.require_principal(), note
    )
    return request


@api.route(
    "orders/{orderId}/refund-requests/{requestId}/reject",
    methods=["POST"],
    auth=STAFF,
    body=RefundRequestDecisionIn,
    body_required=False,
    response=RefundRequestPublic,
    errors=(409,),
    summary="Reject a refund request (nothing is refunded)",
)
def reject_refund_request(ctx: RequestContext) -> RefundRequestPublic:
    note = ctx.body.note if isinstance(ctx.body, RefundRequestDecisionIn) else None
    return refund_requests.reject(
        get_order_deps(), ctx.route["orderId"], ctx.route["requestId"], ctx.require_principal(), note
    )
