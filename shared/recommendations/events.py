"""What the recommendations context takes from the bus: `OrderConfirmed` (subscription
`recommendations`, infra/messaging.json). Each ordered product becomes a `purchase` interaction
with id `<eventId>:<productId>`, so a redelivered event stores nothing twice (on top of the inbox
marker), and the buyer's experiment unit is marked converted."""

from __future__ import annotations

from datetime import UTC

from shared.messaging.events import CloudEvent
from shared.recommendations.service import RecsDeps

CONSUMED_EVENTS = ("OrderConfirmed",)
HANDLER = "recommendations.order_confirmed"


def purchases_of(event: CloudEvent) -> tuple[str | None, list[str]]:
    data = event.data or {}
    order = data.get("order") if isinstance(data.get("order"), dict) else {}
    user_id = data.get("customerId") or (order or {}).get("customerId")
    items = (order or {}).get("items") or data.get("items") or []
    products = [str(i["productId"]) for i in items if isinstance(i, dict) and i.get("productId")]
    return (str(user_id) if user_id else None), list(dict.fromkeys(products))


def on_order_confirmed(event: CloudEvent, deps: RecsDeps) -> int:
    """Record the order's purchases; returns how many were new."""
    if event.type not in CONSUMED_EVENTS:
        return 0
    user_id, products = purchases_of(event)
    if not user_id or not products:
        return 0
    at = event.time if event.time.tzinfo else event.time.replace(tzinfo=UTC)
    new = 0
    for product_id in products:
        new += deps.interactions.record(
            user_id=user_id,
            product_id=product_id,
            kind="purchase",
            at=at,
            interaction_id=f"{event.id}:{product_id}",
            source="order",
        )
    deps.experiments.record_conversion(user_id, at=at)
    return new
