"""Real-time order status: what a connected client receives, and the in-process hub devhost uses.

The orders context emits an event on every status change. The `notifications-realtime`
subscription feeds them to `order_status_message`, whose result goes out two ways:
- in Azure, as SignalR Service messages (the function's `signalR` output binding) to the
  customer's user id on hub `orders`, target `orderStatusChanged`;
- in devhost, through `LOCAL_HUB` to the server-sent-events streams of that user
  (devhost.devstream). Publishing to a hub nobody listens to costs a dict lookup,
  so the function does both and needs no idea of where it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from shared.messaging.events import CloudEvent

HUB_NAME = "orders"
TARGET = "orderStatusChanged"

# Event types that imply a status when their data does not carry one.
STATUS_OF_EVENT: dict[str, str] = {
    "OrderCreated": "pending",
    "OrderAwaitingReview": "awaiting_review",
    "OrderConfirmed": "confirmed",
    "OrderShipped": "shipped",
    "OrderCancelled": "cancelled",
    "OrderRefunded": "refunded",
    "OrderRejected": "rejected",
    "OrderPaymentFailed": "payment_failed",
    "OrderOutOfStock": "out_of_stock",
}


@dataclass(frozen=True)
class StatusUpdate:
    user_id: str
    message: dict[str, Any]

    def signalr_messages(self) -> list[dict[str, Any]]:
        """The SignalR output binding's payload: one message to every connection of the user."""
        return [{"target": TARGET, "userId": self.user_id, "arguments": [self.message]}]


def order_status_message(
    event: CloudEvent, customer_of: Callable[[str], str | None] | None = None
) -> StatusUpdate | None:
    """The update an order event means for its customer, or None (not a status change, or nobody
    to tell). `customer_of(order_id)` finds the customer when the event data lacks it."""
    data = event.data
    order = data.get("order") if isinstance(data.get("order"), dict) else {}
    order_id = data.get("orderId") or (order or {}).get("id") or event.subject
    status = data.get("status") or (order or {}).get("status") or STATUS_OF_EVENT.get(event.type)
    if not order_id or not status:
        return None
    customer = data.get("customerId") or (order or {}).get("customerId")
    if not customer and customer_of is not None:
        customer = customer_of(str(order_id))
    if not customer:
        return None
    message = {
        "type": TARGET,
        "orderId": str(order_id),
        "status": str(status),
        "eventType": event.type,
        "eventId": event.id,
        "at": event.time.isoformat(),
    }
    return StatusUpdate(str(customer), message)


class LocalHub:
    """Fan-out from worker threads to asyncio subscribers (the SSE streams), per user id."""

    def __init__(self, queue_size: int = 100) -> None:
        self._lock = threading.Lock()
        self._subscribers: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Queue[dict[str, Any]]]]] = (
            defaultdict(set)
        )
        self.queue_size = queue_size

    def subscribe(self, user_id: str) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue(self.queue_size)
        with self._lock:
            self._subscribers[user_id].add((asyncio.get_running_loop(), queue))
        return queue

    def unsubscribe(self, user_id: str, queue: asyncio.Queue[dict[str, Any]]) -> None:
        with self._lock:
            subs = self._subscribers.get(user_id, set())
            subs -= {s for s in subs if s[1] is queue}
            if not subs:
                self._subscribers.pop(user_id, None)

    def subscribers(self, user_id: str) -> int:
        with self._lock:
            return len(self._subscribers.get(user_id, ()))

    def publish(self, user_id: str, message: dict[str, Any]) -> int:
        """Thread-safe; returns how many streams it was queued for. A full queue (a client that
        stopped reading) drops the message rather than block the function."""
        with self._lock:
            targets = list(self._subscribers.get(user_id, ()))
        sent = 0
        for loop, queue in targets:
            with contextlib.suppress(RuntimeError):  # that stream's loop is already closed
                loop.call_soon_threadsafe(_offer, queue, message)
                sent += 1
        return sent


def _offer(queue: asyncio.Queue[dict[str, Any]], message: dict[str, Any]) -> None:
    if not queue.full():
        queue.put_nowait(message)


LOCAL_HUB = LocalHub()
