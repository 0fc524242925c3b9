"""The channel port: send one rendered message, or say whether failing again could help.

Adapters classify every failure: `TransientChannelError` (connection refused, timeout, SMTP 4xx,
HTTP 429/5xx) is retried with backoff by the delivery service; `PermanentChannelError` (mailbox
refused, bad number, HTTP 4xx) is recorded as `failed` with its reason at once.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field


class ChannelError(Exception):
    """`reason` is short, safe to show the user (no credentials, no stack)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class TransientChannelError(ChannelError):
    pass


class PermanentChannelError(ChannelError):
    pass


@dataclass(frozen=True)
class OutgoingMessage:
    notification_id: str  # also the provider-side idempotency key where the provider has one
    channel: str
    user_id: str
    to: str  # email address, phone number, or the user id for push
    subject: str
    body: str
    html: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class SendResult:
    provider_message_id: str | None = None
    # True when the channel itself confirms delivery (the local sink); providers confirm later.
    delivered: bool = False


class NotificationChannel(ABC):
    name: str

    @abstractmethod
    def send(self, message: OutgoingMessage) -> SendResult:
        """Send or raise a ChannelError subclass (anything else counts as transient)."""
