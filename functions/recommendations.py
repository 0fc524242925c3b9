"""Recommendations: `GET /api/recommendations` (anyone; personal with a token), `POST
/api/interactions` (authenticated), the caller's history `GET`/`DELETE /api/me/interactions`
(added), and the `recommendations` subscription's `OrderConfirmed` consumer (purchases).

Thin: parse, identify the caller, call one function of shared.recommendations, map the result.
Anonymous callers are assigned to experiments by the `x-client-id` header or the `sc_client_id`
cookie (docs/recommendations.md).
"""

from __future__ import annotations

import logging
from http.cookies import CookieError, SimpleCookie

import azure.functions as func
from pydantic import ValidationError

from shared.composition import get_recs_deps
from shared.http import Api, RequestContext, Response
from shared.kernel.schema import ListQuery
from shared.messaging.events import CloudEvent
from shared.messaging.inbox import processed_once
from shared.recommendations import service
from shared.recommendations.events import HANDLER, on_order_confirmed
from shared.recommendations.schemas import (
    InteractionAccepted,
    InteractionIn,
    InteractionPublic,
    InteractionsPublic,
    RecommendationsPublic,
    RecommendationsQuery,
    safe_unit,
)

log = logging.getLogger("smartcommerce.recommendations")
bp = func.Blueprint()
api = Api(bp, tag="recommendations")

TOPIC = "smartcommerce-events"  # infra/messaging.json
SUBSCRIPTION = "recommendations"
CLIENT_ID_HEADER = "x-client-id"
CLIENT_ID_COOKIE = "sc_client_id"


def _client_id(ctx: RequestContext) -> str | None:
    header = safe_unit(ctx.header(CLIENT_ID_HEADER))
    if header:
        return header
    raw = ctx.header("cookie")
    if not raw:
        return None
    try:
        morsel = SimpleCookie(raw).get(CLIENT_ID_COOKIE)
    except CookieError:
        return None
    return safe_unit(morsel.value) if morsel else None


@api.route(
    "recommendations",
    methods=["GET"],
    auth=None,
    query=RecommendationsQuery,
    response=RecommendationsPublic,
    summary="Recommended products: personal with a token, 'customers also bought' with ?productId=",
)
def get_recommendations(ctx: RequestContext) -> RecommendationsPublic:
    query = ctx.query_as(RecommendationsQuery)
    user_id = ctx.principal.user_id if ctx.principal else None
    caller = service.Caller(user_id=user_id, client_id=_client_id(ctx))
    return service.recommend(get_recs_deps(), caller, product_id=query.product_id, limit=query.limit)


@api.route(
    "interactions",
    methods=["POST"],
    auth="authenticated",
    body=InteractionIn,
    response=InteractionAccepted,
    status=202,
    summary="Record a view, click, add to cart or purchase (it shapes the next recommendations)",
)
def post_interaction(ctx: RequestContext) -> InteractionAccepted:
    body = ctx.body_as(InteractionIn)
    interaction_id = service.record_interaction(
        get_recs_deps(), user_id=ctx.require_principal().user_id, product_id=body.product_id, kind=body.type
    )
    return InteractionAccepted(id=interaction_id)


@api.route(
    "me/interactions",
    methods=["GET"],
    auth="authenticated",
    query=ListQuery,
    response=InteractionsPublic,
    summary="The caller's interaction history, newest first",
)
def list_my_interactions(ctx: RequestContext) -> InteractionsPublic:
    query = ctx.query_as(ListQuery)
    items, token = service.history_page(
        get_recs_deps(), ctx.require_principal().user_id, limit=query.limit, token=query.continuation_token
    )
    return InteractionsPublic(
        items=[InteractionPublic.model_validate(d) for d in items], continuation_token=token
    )


@api.route(
    "me/interactions",
    methods=["DELETE"],
    auth="authenticated",
    status=204,
    summary="Erase the caller's interaction history (and experiment membership)",
)
def delete_my_interactions(ctx: RequestContext) -> Response:
    service.erase_user(get_recs_deps(), ctx.require_principal().user_id)
    return Response(None, status=204)


def handle_event(body: bytes | str) -> None:
    """One bus message (also what tests call). Not a CloudEvent: logged and acknowledged."""
    try:
        event = CloudEvent.from_json(body)
    except ValidationError:
        log.error("recommendations: dropping a message that is not a CloudEvent")
        return
    deps = get_recs_deps()
    with processed_once(event.id, HANDLER, store=deps.interactions.store) as first:
        if first:
            on_order_confirmed(event, deps)


@bp.service_bus_topic_trigger(
    arg_name="msg", topic_name=TOPIC, subscription_name=SUBSCRIPTION, connection="SERVICEBUS"
)
def on_recommendations_event(msg: func.ServiceBusMessage) -> None:
    handle_event(msg.get_body())
