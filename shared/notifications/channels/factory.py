"""Which adapter serves each channel, from settings (once per process, like shared.composition)."""

from __future__ import annotations

from functools import lru_cache

from shared.notifications.channels.http_provider import (
    AcsEmailChannel,
    AcsSmsChannel,
    WebhookPushChannel,
)
from shared.notifications.ports import NotificationChannel
from shared.notifications.channels.sink import LocalSinkChannel
from shared.notifications.channels.smtp import SmtpEmailChannel
from shared.settings import Settings, get_settings


def build_channels(settings: Settings) -> dict[str, NotificationChannel]:
    """The channels that are on; a channel set to "off" is absent, and notify() skips it."""
    sink_dir = settings.data_path / "notifications"
    email: NotificationChannel
    if settings.notify_email_channel == "smtp":
        email = SmtpEmailChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    elif settings.notify_email_channel == "acs":
        email = AcsEmailChannel(settings.acs_endpoint, settings.acs_email_sender)
    else:
        email = LocalSinkChannel("email", sink_dir)
    sms: NotificationChannel = (
        AcsSmsChannel(settings.acs_endpoint, settings.acs_sms_from)
        if settings.notify_sms_channel == "acs"
        else LocalSinkChannel("sms", sink_dir)
    )
    push: NotificationChannel = (
        WebhookPushChannel(settings.push_webhook_url)
        if settings.notify_push_channel == "webhook"
        else LocalSinkChannel("push", sink_dir)
    )
    chosen = {
        "email": settings.notify_email_channel,
        "sms": settings.notify_sms_channel,
        "push": settings.notify_push_channel,
    }
    built = {"email": email, "sms": sms, "push": push}
    return {name: channel for name, channel in built.items() if chosen[name] != "off"}


@lru_cache(maxsize=1)
def get_channels() -> dict[str, NotificationChannel]:
    return build_channels(get_settings())


def reset() -> None:
    get_channels.cache_clear()
