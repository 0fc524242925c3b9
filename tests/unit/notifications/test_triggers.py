from __future__ import annotations

import json

import pytest

from shared.kernel.errors import ValidationFailed
from shared.notifications.triggers import kind_context, order_context, parse_message

ORDER = {
    "id": "ord-1",
    "customerId": "user-1",
    "status": "confirmed",
    "currency": "USD",
    "total": {"amount": "39.98", "currency": "USD"},
    "items": [
        {
            "sku": "SKU-1",
            "name": "Mug",
            "quantity": 2,
            "unitPrice": {"amount": "19.99", "currency": "USD"},
            "lineTotal": {"amount": "39.98", "currency": "USD"},
        }
    ],
}


def test_the_order_workflows_confirmation_command_is_understood() -> None:
    body = {
        "commandId": "ord-1:notify:confirmation",
        "type": "SendOrderConfirmation",
        "data": {
            "kind": "confirmation",
            "orderId": "ord-1",
            "customerId": "user-1",
            "customerEmail": "ada@example.com",
            "order": ORDER,
        },
    }
    request = parse_message(json.dumps(body).encode())
    assert (request.event_id, request.kind, request.audience) == (
        "ord-1:notify:confirmation",
        "order_confirmed",
        "customer",
    )
    assert (request.user_id, request.email, request.order_id) == ("user-1", "ada@example.com", "ord-1")


def test_cloud_events_are_keyed_by_their_event_id() -> None:
    event = {
        "specversion": "1.0",
        "id": "evt-9",
        "source": "smartcommerce.orders",
        "type": "OrderRefunded",
        "time": "2026-01-01T00:00:00Z",
        "data": {
            "orderId": "ord-1",
            "customerId": "user-1",
            "status": "refunded",
            "order": ORDER,
            "refund": {"amount": {"amount": "5.00", "currency": "USD"}, "reason": "damaged"},
        },
    }
    request = parse_message(json.dumps(event))
    assert (request.event_id, request.kind) == ("evt-9", "order_refunded")
    context = kind_context(request, order_context(request.data, None))
    assert context["refund"] == {"amount": "5.00", "currency": "USD", "reason": "damaged"}
    assert context["order"]["total"] == "39.98" and context["order"]["items"][0]["lineTotal"] == "39.98"


def test_stock_low_goes_to_the_admins() -> None:
    event = {
        "specversion": "1.0",
        "id": "evt-3",
        "source": "smartcommerce.inventory",
        "type": "StockLow",
        "time": "2026-01-01T00:00:00Z",
        "data": {"sku": "SKU-1", "available": 2, "threshold": 5},
    }
    request = parse_message(json.dumps(event))
    assert request.audience == "admins" and request.user_id is None
    assert kind_context(request, {}) == {"stock": {"sku": "SKU-1", "available": 2, "threshold": 5}}


def test_an_order_event_without_details_reads_the_order_read_model() -> None:
    context = order_context({"orderId": "ord-1"}, ORDER)
    assert context["id"] == "ord-1" and context["currency"] == "USD" and context["items"][0]["name"] == "Mug"


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"not json", "bad_message"),
        (b"[1]", "bad_message"),
        (json.dumps({"commandId": "c", "type": "Nope", "data": {}}).encode(), "unknown_message_type"),
        (
            json.dumps({"commandId": "c", "type": "OrderShipped", "data": {"orderId": "o"}}).encode(),
            "bad_message",
        ),
        (json.dumps({"type": "OrderShipped", "data": {"customerId": "u"}}).encode(), "bad_message"),
    ],
)
def test_messages_that_cannot_be_a_notification_are_refused(body: bytes, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_message(body)
    assert caught.value.code == code


@pytest.mark.parametrize("type_", ["OrderCancelled", "OrderRefunded", "OrderShipped"])
def test_the_orders_contexts_own_events_render_with_the_builtin_templates(type_: str) -> None:
    """Built from shared.orders.events' models, so a change of their shape shows up here."""
    from shared.notifications.defaults import BUILTIN
    from shared.notifications.model import TEMPLATE_FOR_KIND
    from shared.notifications.templates import render_variant
    from shared.orders.events import PUBLISHED

    refund = {"amount": "5.00", "currency": "USD"} if type_ == "OrderRefunded" else None
    data = PUBLISHED[type_](
        order_id="ord-1",
        customer_id="user-1",
        status="confirmed",
        order=ORDER,
        reason="damaged",
        refund=refund,
    ).model_dump(mode="json", by_alias=True)
    event = {"specversion": "1.0", "id": "e", "source": "s", "type": type_, "time": "2026-01-01T00:00:00Z"}
    request = parse_message(json.dumps({**event, "data": data}))
    context = kind_context(request, order_context(request.data, None))
    context["customer"] = {"id": "user-1", "name": "Ada", "email": "ada@example.com"}
    for variant in BUILTIN[TEMPLATE_FOR_KIND[request.kind]].variants:
        assert "ord-1" in render_variant(variant, context).body + render_variant(variant, context).subject
    if type_ == "OrderRefunded":
        assert context["refund"] == {"amount": "5.00", "currency": "USD", "reason": "damaged"}
    if type_ == "OrderCancelled":
        assert context["reason"] == "damaged"
