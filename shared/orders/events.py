"""The orders context's CloudEvents (published through the outbox with the stream append).

Only the order's own milestones go to the bus; stream entries that record another context's facts
(`InventoryReserved`, `PaymentCaptured`, `FraudChecked`) are published by those contexts. `data`
carries the public order (never the payment token) so consumers such as notifications need no
read-back.
"""

from __future__ import annotations

from typing import Any

from shared.kernel.schema import ApiModel
from shared.messaging.events import register_event


class OrderEventData(ApiModel):
    order_id: str
    customer_id: str
    status: str
    order: dict[str, Any]
    # Flat, as the notifications context reads them: why it was cancelled, what was refunded.
    reason: str | None = None
    refund: dict[str, Any] | None = None
    # API.md `failureReason` of an order that ended unfulfilled (also inside `order`).
    failure_reason: str | None = None
    # OrderShipped: `{carrier, trackingNumber, shippedAt}` (also inside `order`).
    shipment: dict[str, Any] | None = None


def _declare(name: str, consumers: list[str], doc: str) -> type[OrderEventData]:
    model = type(name, (OrderEventData,), {"__doc__": doc, "__module__": __name__})
    return register_event(name, producer="orders", consumers=consumers)(model)


PUBLISHED: dict[str, type[OrderEventData]] = {
    "OrderCreated": _declare("OrderCreated", ["fraud", "recommendations"], "An order was placed and priced."),
    # Fraud's subscription (infra/messaging.json) takes OrderCreated, OrderConfirmed, OrderRejected
    # (functions/fraud_monitoring.py); tests/unit/orders/test_event_consumers.py keeps these in step.
    "OrderAwaitingReview": _declare(
        "OrderAwaitingReview", ["notifications"], "Fraud check asked for a person's decision."
    ),
    "OrderConfirmed": _declare(
        "OrderConfirmed", ["fraud", "recommendations", "analytics"], "Paid and its stock consumed."
    ),
    "OrderOutOfStock": _declare(
        "OrderOutOfStock", ["notifications", "analytics"], "Not enough stock; nothing was charged."
    ),
    "OrderPaymentFailed": _declare(
        "OrderPaymentFailed",
        ["notifications", "analytics"],
        "The payment failed; the reservation is released.",
    ),
    "OrderRejected": _declare(
        "OrderRejected", ["fraud", "notifications", "analytics"], "Rejected as fraud; everything undone."
    ),
    "OrderCancelled": _declare(
        "OrderCancelled", ["notifications", "analytics"], "Cancelled; everything undone."
    ),
    "OrderRefunded": _declare(
        "OrderRefunded", ["notifications", "analytics"], "Money went back to the customer."
    ),
    "OrderShipped": _declare("OrderShipped", ["notifications", "analytics"], "Handed to the carrier."),
}
