"""Search: `GET /api/search`, suggest, clicks, analytics (admin), reindex (admin), the catalog and
inventory event consumer (subscription `search`) and the rebuild command queue + nightly timer.

Thin triggers: parse, call one function of shared.search.service, map the result. The engine
(tantivy, onnxruntime, the index) loads on the first search or event, not on import.
"""

from __future__ import annotations

import json
import logging

import azure.functions as func

from shared.composition import get_search_context
from shared.http import Api, RequestContext, Response
from shared.search import service
from shared.search.schemas import (
    AnalyticsQuery,
    ClickAccepted,
    ClickIn,
    ReindexJob,
    SearchAnalytics,
    SearchQuery,
    SearchResponse,
    SuggestQuery,
    SuggestResponse,
)
from shared.users.service import my_id

log = logging.getLogger("smartcommerce.search")


# The context's parts come from the composition root, built on the first search or event.
service.install(get_search_context)

bp = func.Blueprint()
api = Api(bp, tag="search")

TOPIC = "smartcommerce-events"  # infra/messaging.json
SUBSCRIPTION = "search"
ADMIN = ("admin",)


def _user(ctx: RequestContext) -> str | None:
    return my_id(ctx.principal) if ctx.principal is not None else None


@api.route(
    "search",
    methods=["GET"],
    query=SearchQuery,
    response=SearchResponse,
    summary="Search products (keyword, semantic or hybrid) with facets, paging and a queryId",
)
def search_products(ctx: RequestContext) -> SearchResponse:
    return service.search(ctx.query_as(SearchQuery), user_id=_user(ctx))


@api.route(
    "search/suggest",
    methods=["GET"],
    query=SuggestQuery,
    response=SuggestResponse,
    summary="Autocomplete: completions of a prefix, most popular first, one typo tolerated",
)
def search_suggest(ctx: RequestContext) -> SuggestResponse:
    q = ctx.query_as(SuggestQuery)
    return service.suggest(q.q, q.limit)


@api.route(
    "search/clicks",
    methods=["POST"],
    body=ClickIn,
    response=ClickAccepted,
    status=202,
    errors=(404,),  # an unknown queryId
    summary="Record a click on a search result (queryId from GET /api/search)",
)
def search_click(ctx: RequestContext) -> Response:
    body = ctx.body_as(ClickIn)
    service.record_click(body, user_id=_user(ctx))
    accepted = ClickAccepted(query_id=body.query_id, product_id=body.product_id, position=body.position)
    return Response(accepted, status=202)


@api.route(
    "search/analytics",
    methods=["GET"],
    auth=ADMIN,
    query=AnalyticsQuery,
    response=SearchAnalytics,
    summary="Top queries, zero-result queries, click-through rate and MRR of clicks over days",
)
def search_analytics(ctx: RequestContext) -> SearchAnalytics:
    q = ctx.query_as(AnalyticsQuery)
    return service.analytics(q.from_, q.to, q.limit)


@api.route(
    "search/reindex",
    methods=["POST"],
    auth=ADMIN,
    response=ReindexJob,
    status=202,
    summary="Start a full rebuild of the search index (built beside the live one, then swapped)",
)
def search_reindex(ctx: RequestContext) -> Response:
    job = service.start_reindex(requested_by=my_id(ctx.require_principal()))
    return Response(job, status=202, headers={"Location": job.status_uri})


@api.route(
    "search/reindex/{jobId}",
    methods=["GET"],
    auth=ADMIN,
    response=ReindexJob,
    summary="Status of a reindex job",
)
def search_reindex_status(ctx: RequestContext) -> ReindexJob:
    return service.reindex_status(ctx.route["jobId"])


@bp.service_bus_topic_trigger(
    arg_name="msg", topic_name=TOPIC, subscription_name=SUBSCRIPTION, connection="SERVICEBUS"
)
def on_search_event(msg: func.ServiceBusMessage) -> None:
    """Product created / modified / archived / repriced, stock changes: re-index those products.
    An exception abandons the message (redelivered, dead-lettered after maxDeliveryCount)."""
    service.handle_event(msg.get_body())


@bp.service_bus_queue_trigger(arg_name="msg", queue_name=service.COMMAND_QUEUE, connection="SERVICEBUS")
def on_search_command(msg: func.ServiceBusMessage) -> None:
    """A reindex job queued by the admin route or the nightly timer."""
    try:
        job_id = str(json.loads(msg.get_body())["jobId"])
    except (ValueError, KeyError, TypeError):
        log.error("search: dropping a malformed reindex command")
        return
    service.run_reindex(job_id)


@bp.timer_trigger(schedule="0 15 3 * * *", arg_name="timer", run_on_startup=False)
def search_nightly_rebuild(timer: func.TimerRequest) -> None:
    """Every night: a full rebuild (drops drift, refreshes popular queries, a fresh snapshot)."""
    job = service.start_reindex(requested_by="timer")
    log.info("nightly search rebuild queued: %s", job.id)
