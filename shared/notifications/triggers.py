"""What triggers a notification: the order workflow's command and the domain events, parsed.

The `notification-commands` queue carries commands from the order workflow (the confirmation);
the `notifications` subscription carries events (OrderCancelled, OrderRefunded, OrderShipped, the
unfulfilled ends OrderPaymentFailed / OrderRejected / OrderOutOfStock, StockLow and
ReorderRecommended). Both are CloudEvents JSON; a plain JSON command (`{"commandId", "type",
...data}`) is accepted too. The dedupe key is the CloudEvent `id` (or `commandId`), never the broker's
message id: a republished event has a new message id but the same event id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal

from shared.kernel.errors import ValidationFailed
from shared.notifications.model import KINDS, Kind

TYPE_TO_KIND: dict[str, Kind] = {
    "SendOrderConfirmation": "order_confirmed",
    "OrderConfirmed": "order_confirmed",
    "OrderCancelled": "order_cancelled",
    "OrderRefunded": "order_refunded",
    "OrderPartiallyRefunded": "order_refunded",
    "OrderShipped": "order_shipped",
    # An order that ended unfulfilled: the customer hears why (the order's `failureReason`).
    "OrderPaymentFailed": "order_payment_failed",
    "OrderRejected": "order_rejected",
    "OrderOutOfStock": "order_out_of_stock",
    "StockLow": "stock_low",
    "ReorderRecommended": "reorder_recommended",
}


@dataclass(frozen=True)
class NotificationRequest:
    event_id: str
    kind: Kind
    audience: Literal["customer", "admins"]
    data: dict[str, Any] = field(default_factory=dict)
    user_id: str | None = None
    email: str | None = None  # from the message, used when the user has no profile yet
    name: str = ""

    @property
    def order_id(self) -> str | None:
        order = self.data.get("order") if isinstance(self.data.get("order"), dict) else {}
        value = self.data.get("orderId") or (order or {}).get("id")
        return str(value) if value else None


def parse_message(body: bytes | str) -> NotificationRequest:
    """A CloudEvent or plain command -> request; ValidationFailed when it cannot be one."""
    try:
        raw = json.loads(body)
    except ValueError:
        raise ValidationFailed("the message body is not JSON", code="bad_message") from None
    if not isinstance(raw, dict):
        raise ValidationFailed("the message body is not a JSON object", code="bad_message")
    if "specversion" in raw:
        event_id, type_, data = raw.get("id"), str(raw.get("type") or ""), raw.get("data") or {}
    else:
        event_id, type_ = raw.get("commandId") or raw.get("id"), str(raw.get("type") or "")
        data = raw.get("data") if isinstance(raw.get("data"), dict) else raw
    if not event_id or not isinstance(data, dict):
        raise ValidationFailed("the message has no id or no data", code="bad_message")
    kind = data.get("kind") if data.get("kind") in KINDS else TYPE_TO_KIND.get(type_)
    if kind is None:
        raise ValidationFailed(f"no notification for message type {type_!r}", code="unknown_message_type")
    if kind in ("stock_low", "reorder_recommended"):
        return NotificationRequest(str(event_id), kind, "admins", data)
    order = data.get("order") if isinstance(data.get("order"), dict) else {}
    user_id = data.get("customerId") or (order or {}).get("customerId")
    if not user_id:
        raise ValidationFailed("an order notification needs data.customerId", code="bad_message")
    email = data.get("customerEmail") or data.get("email")
    name = data.get("customerName") or ""
    return NotificationRequest(str(event_id), kind, "customer", data, str(user_id), email, str(name))


def _amount(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("amount", ""))
    return "" if value is None else str(value)


def _currency(*values: Any) -> str:
    for value in values:
        if isinstance(value, dict) and value.get("currency"):
            return str(value["currency"])
        if isinstance(value, str) and len(value) == 3:
            return value
    return ""


def order_context(data: dict[str, Any], stored: dict[str, Any] | None) -> dict[str, Any]:
    """The `order` variable of the templates, from the message and (if any) the order read model."""
    given = data.get("order")
    src: dict[str, Any] = given if isinstance(given, dict) else (stored or {})
    total = src.get("total", data.get("total"))
    items = [
        {
            "sku": str(i.get("sku", "")),
            "name": str(i.get("name") or i.get("sku") or ""),
            "quantity": int(i.get("quantity", 0)),
            "unitPrice": _amount(i.get("unitPrice")),
            "lineTotal": _amount(i.get("lineTotal")),
        }
        for i in (src.get("items") or data.get("items") or [])
        if isinstance(i, dict)
    ]
    return {
        "id": str(data.get("orderId") or src.get("id") or ""),
        "status": str(data.get("status") or src.get("status") or ""),
        "total": _amount(total),
        "subtotal": _amount(src.get("subtotal", total)),
        "currency": _currency(src.get("currency"), total, data.get("currency")),
        "items": items,
        "refundedAmount": _amount(src.get("refundedAmount", "0.00")),
        "failureReason": str(data.get("failureReason") or src.get("failureReason") or ""),
    }


def _section(data: dict[str, Any], name: str) -> dict[str, Any]:
    """`data[name]` when it is an object, else `data` itself (fields may come flat)."""
    value = data.get(name)
    return value if isinstance(value, dict) else data


def kind_context(request: NotificationRequest, order: dict[str, Any]) -> dict[str, Any]:
    """Everything but the recipient (`customer` / `recipient`), in the shape of SAMPLE_DATA."""
    data = request.data
    if request.kind == "stock_low":
        stock = {
            "sku": str(data.get("sku", "")),
            "available": data.get("available", 0),
            "threshold": data.get("threshold", 0),
        }
        return {"stock": stock}
    if request.kind == "reorder_recommended":
        keys = (
            "sku",
            "available",
            "reorderPoint",
            "safetyStock",
            "orderQuantity",
            "leadTimeDays",
            "serviceLevel",
        )
        return {"reorder": {k: data.get(k, "" if k == "sku" else 0) for k in keys}}
    context: dict[str, Any] = {"order": order}
    if request.kind == "order_cancelled":
        context["reason"] = str(data.get("reason") or "")
    elif request.kind == "order_refunded":
        refund = _section(data, "refund")
        amount = refund.get("amount")
        context["refund"] = {
            "amount": _amount(amount),
            "currency": _currency(amount, order["currency"]),
            # The orders context sends the refund as Money and its reason flat beside it.
            "reason": str(refund.get("reason") or data.get("reason") or ""),
        }
    elif request.kind == "order_shipped":
        shipment = _section(data, "shipment")
        context["shipment"] = {
            "carrier": str(shipment.get("carrier") or ""),
            "trackingNumber": str(shipment.get("trackingNumber") or ""),
        }
    return context
