"""A small Functions app for devhost's foundation e2e test (issue 2).

It uses the real edge API (shared.http) and the ops blueprint (health, dev tokens), plus Service
Bus and timer triggers that append what they receive to JSON-lines files in the data dir, so the
test can check delivery from outside the process, across a SIGKILL and a restart.
"""

from __future__ import annotations

import json
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import azure.functions as func
from azure.functions.servicebus import ServiceBusMessage
from pydantic import Field

from functions import ops
from shared.adapters.localbus import LocalBus, load_topology
from shared.http import Api, RequestContext
from shared.kernel.schema import ApiModel
from shared.ports.messaging import BusMessage

TOPIC = "foundation-events"
SUBSCRIPTION = "recorder"
POISON_QUEUE = "foundation-poison"
SLOW_QUEUE = "foundation-slow"
SLOW_SECONDS = float(os.environ.get("FOUNDATION_SLOW_SECONDS", "0.4"))

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
app.register_functions(ops.bp)
bp = func.Blueprint()
api = Api(bp, tag="foundation")
_write_lock = threading.Lock()


def _data_dir() -> Path:
    return Path(os.environ["SC_DATA_DIR"])


def record(kind: str, **fields: Any) -> None:
    line = json.dumps({"pid": os.getpid(), "at": time.time(), **fields})
    with _write_lock, (_data_dir() / f"{kind}.jsonl").open("a", encoding="utf-8") as f:
        f.write(line + "\n")


def read_records(kind: str) -> list[dict[str, Any]]:
    path = _data_dir() / f"{kind}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- HTTP ------------------------------------------------------------------------------------------
class Item(ApiModel):
    item_id: int
    name: str


class OrderLine(ApiModel):
    sku: str = Field(min_length=1)
    quantity: int = Field(ge=1)


class OrderDraft(ApiModel):
    customer_name: str = Field(min_length=1)
    items: list[OrderLine] = Field(min_length=1)


class PublishRequest(ApiModel):
    count: int = Field(1, ge=1, le=100)
    event_type: str = "ThingHappened"


@api.route("items/{itemId:int}", methods=["GET"], response=Item)
def get_item(ctx: RequestContext) -> Item:
    return Item(item_id=int(ctx.route["itemId"]), name=f"item {ctx.route['itemId']}")


@api.route("reports/sales", methods=["GET"], auth=("admin",))
def sales_report(ctx: RequestContext) -> dict[str, Any]:
    return {"viewer": ctx.require_principal().sub, "total": "0.00"}


@api.route("drafts", methods=["POST"], body=OrderDraft, status=201)
def create_draft(ctx: RequestContext) -> dict[str, Any]:
    draft = ctx.body_as(OrderDraft)
    return {"customerName": draft.customer_name, "lines": len(draft.items)}


@api.route("publish", methods=["POST"], body=PublishRequest, status=202)
def publish(ctx: RequestContext) -> dict[str, Any]:
    request = ctx.body_as(PublishRequest)
    ids = [uuid.uuid4().hex for _ in range(request.count)]
    bus = LocalBus(_data_dir() / "bus.db", load_topology())
    bus.publish(
        TOPIC,
        [
            BusMessage(
                message_id=i,
                body=json.dumps({"id": i}).encode(),
                subject=request.event_type,
                correlation_id=ctx.correlation_id,
                application_properties={"type": request.event_type, "correlationId": ctx.correlation_id},
            )
            for i in ids
        ],
    )
    return {"messageIds": ids}


@api.route("received", methods=["GET"])
def received(ctx: RequestContext) -> dict[str, Any]:
    return {"messages": read_records("received")}


# --- Service Bus and timers ------------------------------------------------------------------------
@bp.service_bus_topic_trigger(
    arg_name="msg", topic_name=TOPIC, subscription_name=SUBSCRIPTION, connection="SERVICEBUS"
)
def record_event(msg: ServiceBusMessage) -> None:
    record(
        "received",
        messageId=msg.message_id,
        type=msg.application_properties.get("type"),
        deliveryCount=msg.delivery_count,
        correlationId=msg.correlation_id,
    )


@bp.service_bus_queue_trigger(arg_name="msg", queue_name=POISON_QUEUE, connection="SERVICEBUS")
def always_fails(msg: ServiceBusMessage) -> None:
    record("poison", messageId=msg.message_id, deliveryCount=msg.delivery_count)
    raise RuntimeError(f"poison message {msg.message_id}")


@bp.service_bus_queue_trigger(arg_name="msg", queue_name=SLOW_QUEUE, connection="SERVICEBUS")
def slow_handler(msg: ServiceBusMessage) -> None:
    time.sleep(SLOW_SECONDS)
    record("slow", messageId=msg.message_id, deliveryCount=msg.delivery_count)


@bp.timer_trigger(arg_name="timer", schedule="* * * * * *")
def tick(timer: func.TimerRequest) -> None:
    record("tick", pastDue=timer.past_due)


app.register_functions(bp)
