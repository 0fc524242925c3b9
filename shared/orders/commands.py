"""The commands the orders context sends: the customer's notification (the confirmation).

`NotificationRequested` in an order's stream means "this command was staged with this append"
(shared.orders.stream stages it through the outbox in the same transaction), so the command goes
out if and only if the stream records it, at least once. The notifications context dedupes on
`commandId` (also the message id, which Service Bus duplicate detection keys on), so a repeated
send is harmless. The wire format is the one the `order_notify` activity sent directly before
round 4 (docs/performance.md).
"""

from __future__ import annotations

import json
from typing import Any

from shared.messaging.topology import NOTIFICATION_COMMANDS_QUEUE
from shared.orders.model import OrderState
from shared.ports.messaging import BusMessage

NOTIFICATION_QUEUE = NOTIFICATION_COMMANDS_QUEUE
CONFIRMATION = "order_confirmed"  # the `kind` of the confirmation notification


def notification_command(state: OrderState, kind: str, public: dict[str, Any] | None = None) -> BusMessage:
    """The command asking notifications to tell the customer `kind` about the order as it is in
    `state` (the public view: no payment token, no card fingerprint; `public`: that view dumped
    already)."""
    order_id = state.id
    command_id = f"{order_id}:notify:{kind}"
    body = {
        "commandId": command_id,
        "type": "SendOrderConfirmation",
        "data": {
            "kind": kind,
            "orderId": order_id,
            "customerId": state.customer_id,
            "customerEmail": state.customer_email,
            "order": public if public is not None else state.public().model_dump(mode="json", by_alias=True),
        },
    }
    return BusMessage(
        message_id=command_id,
        body=json.dumps(body).encode(),
        subject="SendOrderConfirmation",
        content_type="application/json",
        application_properties={"type": "SendOrderConfirmation", "orderId": order_id},
    )
