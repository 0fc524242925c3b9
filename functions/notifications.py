"""Notifications: the customer's notification list, template admin, the bus consumers that send,
and real-time order status (SignalR in Azure, a server-sent-events stream in devhost).

Thin triggers: parse, call one function of shared.notifications, map the result.
"""

from __future__ import annotations

import json
import re
import uuid

import azure.functions as func

from shared.composition import get_channels, get_document_store
from shared.http import Api, RequestContext
from shared.http.auth import authenticate
from shared.http.problem import problem_response
from shared.kernel.errors import DomainError, Forbidden, ServiceUnavailable
from shared.kernel.schema import ListQuery
from shared.messaging.events import CloudEvent
from shared.messaging.inbox import processed_once
from shared.messaging.topology import (
    EVENTS_TOPIC,
    NOTIFICATION_COMMANDS_QUEUE,
    NOTIFICATIONS_REALTIME_SUBSCRIPTION,
    NOTIFICATIONS_SUBSCRIPTION,
)
from shared.notifications import service
from shared.notifications.model import NotificationsPublic, TemplateIn, TemplatePublic, TemplatesPublic
from shared.notifications.realtime import HUB_NAME, LOCAL_HUB, order_status_message
from shared.notifications.triggers import parse_message
from shared.users.service import my_id

bp = func.Blueprint()
api = Api(bp, tag="notifications")

TOPIC = EVENTS_TOPIC  # infra/messaging.json; Azure gets the same name as SERVICEBUS_TOPIC
COMMAND_QUEUE = NOTIFICATION_COMMANDS_QUEUE
SIGNALR_CONNECTION = "AzureSignalRConnectionString"  # identity-based: `..__serviceUri` app setting
USER_ID_HEADER = "x-sc-user-id"
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")


# --- HTTP ------------------------------------------------------------------------------------------


@api.route(
    "me/notifications",
    methods=["GET"],
    auth="authenticated",
    query=ListQuery,
    response=NotificationsPublic,
    summary="The caller's notifications, newest first",
)
def list_my_notifications(ctx: RequestContext) -> NotificationsPublic:
    query = ctx.query_as(ListQuery)
    return service.list_notifications(
        my_id(ctx.require_principal()),
        limit=query.limit,
        continuation_token=query.continuation_token,
        store=get_document_store(),
    )


@api.route(
    "notifications/templates",
    methods=["GET"],
    auth=("admin",),
    response=TemplatesPublic,
    summary="Every template (current versions, built-in ones included)",
)
def list_templates(ctx: RequestContext) -> TemplatesPublic:
    return TemplatesPublic(items=service.list_templates(store=get_document_store()))


@api.route(
    "notifications/templates/{name}",
    methods=["PUT"],
    auth=("admin",),
    body=TemplateIn,
    response=TemplatePublic,
    errors=(409,),  # saved concurrently by another admin
    summary="Save a new version of a template (422 if it does not render)",
)
def put_template(ctx: RequestContext) -> TemplatePublic:
    return service.save_template(
        ctx.route["name"],
        ctx.body_as(TemplateIn),
        by=my_id(ctx.require_principal()),
        store=get_document_store(),
    )


api.document(
    "realtime/negotiate",
    ["POST"],
    function_name="realtime_negotiate",
    auth="authenticated",
    errors=(403,),  # x-sc-user-id names another user
    summary="SignalR negotiate: {url, accessToken} for the caller's live order-status connection",
)


@bp.route(route="realtime/negotiate", methods=["POST"], auth_level=func.AuthLevel.ANONYMOUS)
@bp.generic_input_binding(
    arg_name="connectionInfo",
    type="signalRConnectionInfo",
    hub_name=HUB_NAME,
    connection_string_setting=SIGNALR_CONNECTION,
    user_id="{headers.x-sc-user-id}",
)
def realtime_negotiate(req: func.HttpRequest, connectionInfo: str) -> func.HttpResponse:
    """SignalR negotiate: `{url, accessToken}` for the caller's real-time connection.

    Not an `Api` route: the connection-info binding is an extra parameter. The binding mints a
    token for the user id in the `x-sc-user-id` header, so that header must be the caller's own
    user id (the `id` of GET /api/me), else 403: nobody can listen to another user's orders."""
    incoming = req.headers.get("x-correlation-id") or ""
    # Echoed only if short and plain (as the edge pipeline does), so it cannot forge headers.
    correlation_id = incoming if _SAFE_ID.match(incoming) else uuid.uuid4().hex
    try:
        principal = authenticate(req)
        if req.headers.get(USER_ID_HEADER) != my_id(principal):
            raise Forbidden(f"send your own user id (the id of GET /api/me) in the {USER_ID_HEADER} header")
        if not connectionInfo:  # devhost without the realtime extension passes None
            raise ServiceUnavailable("real-time updates are not available on this host")
        info = json.loads(connectionInfo)
        # devhost's stream accepts the app's own tokens; Azure's binding mints a SignalR token.
        token = info.get("accessToken") or (req.headers.get("authorization") or "")[7:].strip()
        body = {"url": info["url"], "accessToken": token}
        return func.HttpResponse(
            json.dumps(body), mimetype="application/json", headers={"x-correlation-id": correlation_id}
        )
    except DomainError as exc:
        return problem_response(exc, correlation_id)


# --- Service Bus -----------------------------------------------------------------------------------


@bp.service_bus_queue_trigger(arg_name="msg", queue_name=COMMAND_QUEUE, connection="SERVICEBUS")
def on_notification_command(msg: func.ServiceBusMessage) -> None:
    """The order workflow's commands (the confirmation). An exception abandons the message: the
    bus redelivers it, and dead-letters it after the queue's maxDeliveryCount."""
    _notify(msg.get_body(), handler="notifications.command")


@bp.service_bus_topic_trigger(
    arg_name="msg", topic_name=TOPIC, subscription_name=NOTIFICATIONS_SUBSCRIPTION, connection="SERVICEBUS"
)
def on_notification_event(msg: func.ServiceBusMessage) -> None:
    """OrderCancelled, OrderRefunded, OrderShipped (customers) and StockLow (admins)."""
    _notify(msg.get_body(), handler="notifications.event")


def _customer_of_order(order_id: str) -> str | None:
    return service.customer_of_order(order_id, store=get_document_store())


def _notify(body: bytes, *, handler: str) -> None:
    request = parse_message(body)
    store = get_document_store()
    with processed_once(request.event_id, handler, store=store) as first:
        if first:
            service.notify(request, store=store, channels=get_channels())


@bp.service_bus_topic_trigger(
    arg_name="msg",
    topic_name=TOPIC,
    subscription_name=NOTIFICATIONS_REALTIME_SUBSCRIPTION,
    connection="SERVICEBUS",
)
@bp.generic_output_binding(
    arg_name="$return", type="signalR", hub_name=HUB_NAME, connection_string_setting=SIGNALR_CONNECTION
)
def on_order_status_changed(msg: func.ServiceBusMessage) -> str:
    """Order events -> the customer's live connections (SignalR messages; devhost's SSE hub)."""
    update = order_status_message(CloudEvent.from_json(msg.get_body()), _customer_of_order)
    if update is None:
        return "[]"
    LOCAL_HUB.publish(update.user_id, update.message)
    return json.dumps(update.signalr_messages())
