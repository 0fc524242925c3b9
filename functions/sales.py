"""Sales history: the admin import and the order-event consumer (subscription `sales` on the
events topic, infra/messaging.json). Thin: parse, call shared.sales."""

from __future__ import annotations

import logging

import azure.functions as func
from pydantic import ValidationError

from shared.composition import get_document_store
from shared.http import Api, RequestContext, Response
from shared.messaging.events import CloudEvent
from shared.messaging.topology import EVENTS_TOPIC, SALES_SUBSCRIPTION
from shared.sales import service
from shared.sales.schemas import DailySalesPublic, ImportResult

log = logging.getLogger("smartcommerce.sales")
bp = func.Blueprint()
api = Api(bp, tag="sales")
ADMIN = ("admin",)
TOPIC = EVENTS_TOPIC
SUBSCRIPTION = SALES_SUBSCRIPTION


@api.route(
    "sales/import", methods=["POST"], auth=ADMIN, status=202, response=ImportResult, errors=(400, 422)
)
def sales_import(ctx: RequestContext) -> Response:
    """Import daily sales history: CSV `sku,date,units,price,promo` or JSON lines; 422 lists bad rows."""
    result = service.import_sales(ctx.req.get_body() or b"", store=get_document_store())
    return Response(ImportResult.model_validate(result), status=202)


@api.route("sales/{sku}/daily", methods=["GET"], auth=ADMIN, response=DailySalesPublic)
def sales_daily(ctx: RequestContext) -> DailySalesPublic:
    """A sku's daily units and realized price (days without sales: 0 units at the last price)."""
    sku = ctx.route["sku"]
    return DailySalesPublic.of(sku, service.daily_series(sku, store=get_document_store()))


def handle_event(body: bytes | str) -> None:
    """One order event into the ledger (also what tests and tools call)."""
    try:
        event = CloudEvent.from_json(body)
    except ValidationError:
        log.error("sales: dropping a message that is not a CloudEvent")
        return
    service.record_order_event(event, store=get_document_store())


@bp.service_bus_topic_trigger(
    arg_name="msg", topic_name=TOPIC, subscription_name=SUBSCRIPTION, connection="SERVICEBUS"
)
def on_sales_event(msg: func.ServiceBusMessage) -> None:
    """OrderConfirmed (+ units, revenue) and OrderRefunded (- revenue; - units when fully refunded)."""
    handle_event(msg.get_body())
