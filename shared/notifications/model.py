"""The notifications model: channels, the delivery lifecycle, templates and their wire schemas.

A notification is one message to one user on one channel for one triggering event (a command or
a domain event). Its id is derived from the event id and the channel, so a redelivered event
finds the record of the first delivery and sends nothing again.
"""

from __future__ import annotations

import hashlib
import re
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from shared.kernel.schema import ApiModel

Channel = Literal["email", "sms", "push"]
CHANNELS: tuple[Channel, ...] = ("email", "sms", "push")
Status = Literal["queued", "sent", "delivered", "failed"]
FINAL_STATUSES: frozenset[str] = frozenset({"sent", "delivered", "failed"})

# What a template is rendered for; each kind has sample data that a template must render with.
Kind = Literal[
    "order_confirmed",
    "order_cancelled",
    "order_refunded",
    "order_shipped",
    "order_payment_failed",
    "order_rejected",
    "order_out_of_stock",
    "stock_low",
    "reorder_recommended",
]
KINDS: tuple[Kind, ...] = (
    "order_confirmed",
    "order_cancelled",
    "order_refunded",
    "order_shipped",
    "order_payment_failed",
    "order_rejected",
    "order_out_of_stock",
    "stock_low",
    "reorder_recommended",
)

# The template each kind is sent with (admins edit these names with PUT /notifications/templates/{name}).
TEMPLATE_FOR_KIND: dict[str, str] = {
    "order_confirmed": "order-confirmation",
    "order_cancelled": "order-cancelled",
    "order_refunded": "order-refunded",
    "order_shipped": "order-shipped",
    "order_payment_failed": "order-payment-failed",
    "order_rejected": "order-rejected",
    "order_out_of_stock": "order-out-of-stock",
    "stock_low": "stock-low",
    "reorder_recommended": "reorder-recommended",
}

NOTIFICATIONS_CONTAINER = "notifications"
TEMPLATES_CONTAINER = "notification-templates"
TEMPLATE_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
LOCALE = r"^[a-z]{2}(-[A-Z]{2})?$"


def notification_id(event_id: str, channel: str) -> str:
    """Stable per (event, channel): the dedupe key. Hashed so foreign ids cannot break store ids."""
    digest = hashlib.sha256(f"{event_id}\x00{channel}".encode()).hexdigest()[:32]
    return f"{channel}-{digest}"


# --- delivery tracking ---------------------------------------------------------------------------


class NotificationPublic(ApiModel):
    """One item of GET /me/notifications."""

    id: str
    channel: Channel
    template: str
    subject: str
    status: Status
    created_at: datetime
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    reason: str | None = Field(None, description="why the notification failed (failed only)")
    attempts: int = 0
    order_id: str | None = None


class NotificationsPublic(ApiModel):
    items: list[NotificationPublic]
    continuation_token: str | None = None


# --- templates -----------------------------------------------------------------------------------


class TemplateVariant(ApiModel):
    """One channel and locale of a template. `subject` is the email subject or push title (SMS has
    none); `body` is plain text; `html` (email only) is rendered with autoescaping."""

    channel: Channel
    locale: str = Field("en", pattern=LOCALE)
    subject: str = Field("", max_length=500)
    body: str = Field(min_length=1, max_length=20_000)
    html: str | None = Field(None, max_length=100_000)


class TemplateIn(ApiModel):
    """Body of PUT /notifications/templates/{name}: the full new version."""

    kind: Kind
    variants: list[TemplateVariant] = Field(min_length=1, max_length=30)

    @field_validator("variants")
    @classmethod
    def _one_per_channel_and_locale(cls, variants: list[TemplateVariant]) -> list[TemplateVariant]:
        seen = {(v.channel, v.locale) for v in variants}
        if len(seen) != len(variants):
            raise ValueError("at most one variant per channel and locale")
        return variants


class TemplatePublic(ApiModel):
    name: str
    kind: Kind
    version: int
    variants: list[TemplateVariant]
    updated_at: datetime | None = None
    updated_by: str | None = None
    builtin: bool = Field(False, description="true while no admin has saved a version of it")


class TemplatesPublic(ApiModel):
    items: list[TemplatePublic]
    continuation_token: str | None = None
