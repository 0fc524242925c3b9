from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime

from devhost.devstream import sse_frame
from shared.messaging.events import CloudEvent
from shared.notifications.realtime import LocalHub, order_status_message


def _event(type_: str, data: dict[str, object]) -> CloudEvent:
    return CloudEvent(
        id="evt-1",
        source="smartcommerce.orders",
        type=type_,
        subject="ord-1",
        time=datetime(2026, 1, 1, tzinfo=UTC),
        data=data,
    )


def test_an_order_event_becomes_a_status_update_for_its_customer() -> None:
    update = order_status_message(
        _event("OrderShipped", {"orderId": "ord-1", "customerId": "u1", "status": "shipped"})
    )
    assert update is not None and update.user_id == "u1"
    assert update.message["status"] == "shipped" and update.message["orderId"] == "ord-1"
    assert update.signalr_messages() == [
        {"target": "orderStatusChanged", "userId": "u1", "arguments": [update.message]}
    ]


def test_the_status_and_customer_can_come_from_the_type_and_the_read_model() -> None:
    update = order_status_message(_event("OrderCancelled", {"orderId": "ord-1"}), lambda order_id: "u2")
    assert update is not None and (update.user_id, update.message["status"]) == ("u2", "cancelled")
    assert order_status_message(_event("OrderCancelled", {"orderId": "ord-1"}), lambda _: None) is None


def test_the_hub_delivers_from_a_worker_thread_to_the_users_streams_only() -> None:
    hub = LocalHub()

    async def scenario() -> tuple[dict[str, object], bool]:
        mine, other = hub.subscribe("u1"), hub.subscribe("u2")
        worker = threading.Thread(target=hub.publish, args=("u1", {"status": "confirmed"}))
        worker.start()
        worker.join(5)
        got = await asyncio.wait_for(mine.get(), 5)
        await asyncio.sleep(0)
        hub.unsubscribe("u1", mine)
        return got, other.empty()

    got, other_empty = asyncio.run(scenario())
    assert got == {"status": "confirmed"} and other_empty
    assert hub.subscribers("u1") == 0 and hub.publish("u1", {"status": "x"}) == 0


def test_sse_frames_carry_the_event_name_id_and_json_data() -> None:
    frame = sse_frame({"type": "orderStatusChanged", "eventId": "evt-1", "status": "shipped"})
    assert frame == (
        b"id: evt-1\nevent: orderStatusChanged\n"
        b'data: {"type":"orderStatusChanged","eventId":"evt-1","status":"shipped"}\n\n'
    )
