"""Notification use cases: notify for a command/event, list a user's notifications, manage templates.

Functions call these with keyword arguments and pass the process-wide store and channels (built by
shared.composition); tests pass their own.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from shared.kernel.errors import ValidationFailed
from shared.notifications.delivery import Delivery, DeliveryRequest
from shared.notifications.model import (
    NOTIFICATIONS_CONTAINER,
    TEMPLATE_FOR_KIND,
    TEMPLATE_NAME,
    NotificationPublic,
    NotificationsPublic,
    TemplateIn,
    TemplatePublic,
)
from shared.notifications.ports import NotificationChannel
from shared.notifications.recipients import Recipient, admins, find_recipient
from shared.notifications.template_store import TemplateStore
from shared.notifications.templates import pick_variant, render_variant, validate_template
from shared.notifications.triggers import NotificationRequest, kind_context, order_context
from shared.ports.documents import Container, DocumentNotFound, DocumentStore, Query
from shared.settings import Settings, get_settings

log = logging.getLogger("smartcommerce.notifications")

ORDERS_CONTAINER = "orders"


def notifications_container(store: DocumentStore) -> Container:
    return store.container(NOTIFICATIONS_CONTAINER, "/userId", indexes=("createdAt",))


def _stored_order(store: DocumentStore, request: NotificationRequest) -> dict[str, Any] | None:
    """The order read model, for events that carry only ids (the templates list the items)."""
    if isinstance(request.data.get("order"), dict) or request.data.get("items") or not request.order_id:
        return None
    try:
        return store.container(ORDERS_CONTAINER, "/id").read(request.order_id, request.order_id)
    except DocumentNotFound:
        return None


def customer_of_order(order_id: str, *, store: DocumentStore) -> str | None:
    """The order's customer from the orders read model (for events that carry only the order id)."""
    try:
        order = store.container(ORDERS_CONTAINER, "/id").read(order_id, order_id)
    except DocumentNotFound:
        return None
    customer = order.get("customerId")
    return str(customer) if customer else None


def attempt_lease_seconds(settings: Settings) -> float:
    """How long one send attempt may hold a notification: an SMTP send is several round trips, each
    bounded by the timeout (the HTTP providers use 10 s), plus a margin."""
    return 3 * max(settings.smtp_timeout_seconds, 10.0) + 15.0


def notify(
    request: NotificationRequest,
    *,
    store: DocumentStore,
    channels: Mapping[str, NotificationChannel],
    settings: Settings | None = None,
) -> list[dict[str, Any]]:
    """Send `request` to its recipients on each channel their preferences allow; returns the records."""
    chans, settings = channels, settings or get_settings()
    template_name = TEMPLATE_FOR_KIND[request.kind]
    template = TemplateStore(store).get(template_name)
    base = kind_context(request, order_context(request.data, _stored_order(store, request)))
    recipients: list[Recipient] = (
        admins(store)
        if request.audience == "admins"
        else [
            find_recipient(
                store, str(request.user_id), fallback_email=request.email, fallback_name=request.name
            )
        ]
    )
    delivery = Delivery(
        notifications_container(store),
        chans,
        settings.notify_max_attempts,
        settings.notify_retry_base_seconds,
        lease_seconds=attempt_lease_seconds(settings),
    )
    records: list[dict[str, Any]] = []
    for recipient in recipients:
        person = {
            "id": recipient.user_id,
            "name": recipient.name or "customer",
            "email": recipient.email or "",
        }
        context = {**base, ("recipient" if request.audience == "admins" else "customer"): person}
        for channel in recipient.channels:
            if channel not in chans:
                continue  # the channel is off in this deployment (NOTIFY_*_CHANNEL=off)
            if channel == "sms" and not recipient.phone:
                continue  # no number, no SMS: not a failure the user needs to see
            variant = pick_variant(
                template.variants,
                channel,
                recipient.locale or settings.notify_default_locale,
                settings.notify_default_locale,
            )
            if variant is None:
                log.info("template %s has no %s variant; channel skipped", template_name, channel)
                continue
            rendered, error = None, None
            try:
                rendered = render_variant(variant, context)
            except Exception as exc:  # data the sample did not foresee: record it, do not crash the batch
                error = f"the template did not render: {type(exc).__name__}: {exc}"[:300]
            records.append(
                delivery.deliver(
                    DeliveryRequest(
                        event_id=request.event_id,
                        event_type=request.kind,
                        user_id=recipient.user_id,
                        channel=channel,
                        to=recipient.address(channel),
                        template=template_name,
                        template_version=template.version,
                        rendered=rendered,
                        render_error=error,
                        order_id=request.order_id,
                    )
                )
            )
    return records


def list_notifications(
    user_id: str, *, limit: int, continuation_token: str | None, store: DocumentStore
) -> NotificationsPublic:
    try:
        page = notifications_container(store).query(
            Query(order_by=[("createdAt", "desc")]),
            partition_key=user_id,
            max_items=limit,
            continuation_token=continuation_token,
        )
    except ValueError:  # the adapters' answer to a token they did not issue: the client's mistake
        raise ValidationFailed.field("continuationToken", "not a token this list returned") from None
    items = [NotificationPublic.model_validate(doc) for doc in page.items]
    return NotificationsPublic(items=items, continuation_token=page.continuation_token)


def list_templates(*, store: DocumentStore) -> list[TemplatePublic]:
    return TemplateStore(store).list_all()


def save_template(
    name: str, template: TemplateIn, *, by: str, store: DocumentStore
) -> TemplatePublic:
    if not TEMPLATE_NAME.match(name):
        raise ValidationFailed.field("name", "lowercase letters, digits and dashes (at most 63)")
    # The names the handlers send with are bound to their kind (its variables are what they pass).
    kind_of_name = {n: k for k, n in TEMPLATE_FOR_KIND.items()}
    if kind_of_name.get(name, template.kind) != template.kind:
        raise ValidationFailed.field("kind", f"template {name!r} is sent for {kind_of_name[name]!r} events")
    validate_template(template)
    return TemplateStore(store).save(name, template, by=by)
