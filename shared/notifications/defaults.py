"""The built-in templates (version 0): what is sent until an admin saves a version of a name.

Kept in code rather than seeded into the store so that a fresh deployment notifies correctly
without a data migration, and an admin's first PUT simply becomes version 1.
"""

from __future__ import annotations

from shared.notifications.model import TemplateIn, TemplateVariant

_ITEMS_TEXT = (
    "{% for item in order['items'] %}- {{ item.quantity }} x {{ item.name }}: {{ item.lineTotal }}\n"
    "{% endfor %}"
)
_ITEMS_HTML = (
    "<ul>{% for item in order['items'] %}<li>{{ item.quantity }} &times; {{ item.name }}: "
    "{{ item.lineTotal }} {{ order.currency }}</li>{% endfor %}</ul>"
)


def _order_template(kind: str, title: str, lead: str, extra: str = "") -> TemplateIn:
    subject = f"{title} - order {{{{ order.id }}}}"
    text = (
        f"Hello {{{{ customer.name }}}},\n\n{lead}\n{extra}\n{_ITEMS_TEXT}\n"
        "Total: {{ order.total }} {{ order.currency }}\n"
    )
    html = (
        f"<p>Hello {{{{ customer.name }}}},</p><p>{lead}</p>{_ITEMS_HTML}"
        "<p>Total: <strong>{{ order.total }} {{ order.currency }}</strong></p>"
    )
    return TemplateIn.model_validate(
        {
            "kind": kind,
            "variants": [
                TemplateVariant(channel="email", locale="en", subject=subject, body=text, html=html),
                TemplateVariant(channel="sms", locale="en", body=f"SmartCommerce: {lead}"),
                TemplateVariant(channel="push", locale="en", subject=title, body=lead),
            ],
        }
    )


BUILTIN: dict[str, TemplateIn] = {
    "order-confirmation": _order_template(
        "order_confirmed", "Order confirmed", "Thank you! Your order {{ order.id }} is confirmed."
    ),
    "order-cancelled": _order_template(
        "order_cancelled", "Order cancelled", "Your order {{ order.id }} was cancelled."
    ),
    "order-refunded": _order_template(
        "order_refunded",
        "Refund issued",
        "We refunded {{ refund.amount }} {{ refund.currency }} for order {{ order.id }}.",
    ),
    "order-shipped": _order_template(
        "order_shipped",
        "Order shipped",
        "Your order {{ order.id }} is on its way.",
        "{% if shipment.trackingNumber %}Tracking: {{ shipment.carrier }} {{ shipment.trackingNumber }}"
        "{% endif %}",
    ),
    # The unfulfilled ends: the customer learns why, and that nothing stays charged.
    "order-payment-failed": _order_template(
        "order_payment_failed",
        "Payment failed",
        "We could not take the payment for order {{ order.id }} ({{ order.failureReason }}); "
        "nothing was charged. Please try another card.",
    ),
    "order-rejected": _order_template(
        "order_rejected",
        "Order not accepted",
        "We could not accept order {{ order.id }} ({{ order.failureReason }}); any hold on your card "
        "was released.",
    ),
    "order-out-of-stock": _order_template(
        "order_out_of_stock",
        "Out of stock",
        "Sorry, an item of order {{ order.id }} is out of stock; nothing was charged.",
    ),
    "stock-low": TemplateIn.model_validate(
        {
            "kind": "stock_low",
            "variants": [
                TemplateVariant(
                    channel="email",
                    locale="en",
                    subject="Stock low: {{ stock.sku }}",
                    body="Hello {{ recipient.name }},\n\nOnly {{ stock.available }} of {{ stock.sku }} left "
                    "(threshold {{ stock.threshold }}).\n",
                ),
                TemplateVariant(
                    channel="push",
                    locale="en",
                    subject="Stock low",
                    body="{{ stock.sku }}: {{ stock.available }} left",
                ),
                TemplateVariant(
                    channel="sms", locale="en", body="Stock low: {{ stock.sku }} ({{ stock.available }})"
                ),
            ],
        }
    ),
    "reorder-recommended": TemplateIn.model_validate(
        {
            "kind": "reorder_recommended",
            "variants": [
                TemplateVariant(
                    channel="email",
                    locale="en",
                    subject="Reorder {{ reorder.sku }}: {{ reorder.orderQuantity }} units",
                    body="Hello {{ recipient.name }},\n\n{{ reorder.available }} of {{ reorder.sku }} "
                    "available, at or below its reorder point {{ reorder.reorderPoint }} (lead time "
                    "{{ reorder.leadTimeDays }} days, service level {{ reorder.serviceLevel }}). "
                    "Recommended order: {{ reorder.orderQuantity }} units.\n",
                ),
                TemplateVariant(
                    channel="push",
                    locale="en",
                    subject="Reorder recommended",
                    body="{{ reorder.sku }}: order {{ reorder.orderQuantity }}",
                ),
                TemplateVariant(
                    channel="sms",
                    locale="en",
                    body="Reorder {{ reorder.sku }}: {{ reorder.orderQuantity }} units",
                ),
            ],
        }
    ),
}
