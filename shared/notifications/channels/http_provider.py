"""Provider adapters over HTTPS: Azure Communication Services (email, SMS) and a push webhook.

Thin on purpose: one JSON POST each, authenticated with the app's managed identity
(DefaultAzureCredential, imported lazily so devhost never loads it), with the notification id as
the provider's idempotency key (`Repeatability-Request-ID`) so a retry is not a second message.
HTTP 408/429/5xx and network errors are transient; other 4xx are permanent.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any

from shared.notifications.ports import (
    NotificationChannel,
    OutgoingMessage,
    PermanentChannelError,
    SendResult,
    TransientChannelError,
)

TokenProvider = Callable[[], str]
ACS_SCOPE = "https://communication.azure.com/.default"


_credential_lock = threading.Lock()
_credential: Any = None


def _shared_credential() -> Any:
    """One DefaultAzureCredential per process: building one probes the whole chain (and IMDS)."""
    global _credential
    with _credential_lock:
        if _credential is None:
            from azure.identity import DefaultAzureCredential

            _credential = DefaultAzureCredential()
        return _credential


def managed_identity_token(scope: str, *, clock: Callable[[], float] = time.time) -> TokenProvider:
    """A token provider that reuses its access token until five minutes before it expires."""
    cached: list[Any] = []
    lock = threading.Lock()

    def token() -> str:
        with lock:
            if not cached or cached[0].expires_on - 300 <= clock():
                cached[:] = [_shared_credential().get_token(scope)]
            return str(cached[0].token)

    return token


def post_json(
    url: str, body: dict[str, Any], headers: dict[str, str], timeout: float = 10.0
) -> dict[str, Any]:
    request = urllib.request.Request(
        url,
        data=json.dumps(body).encode(),
        method="POST",
        headers={"Content-Type": "application/json", **headers},
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            raw = response.read()
    except urllib.error.HTTPError as exc:
        reason = f"provider answered HTTP {exc.code}"
        if exc.code in (408, 429) or exc.code >= 500:
            raise TransientChannelError(reason) from None
        raise PermanentChannelError(reason) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise TransientChannelError(f"provider unreachable: {type(exc).__name__}") from None
    parsed = json.loads(raw) if raw.strip() else {}
    return parsed if isinstance(parsed, dict) else {}


def _repeatability(message: OutgoingMessage) -> dict[str, str]:
    # ACS dedupes retries with these two headers; the id must be a UUID, derived from ours.
    rid = uuid.uuid5(uuid.NAMESPACE_URL, message.notification_id)
    return {
        "Repeatability-Request-ID": str(rid),
        "Repeatability-First-Sent": format_datetime(datetime.now(UTC), usegmt=True),
    }


class AcsEmailChannel(NotificationChannel):
    name = "email"

    def __init__(self, endpoint: str, sender: str, token: TokenProvider | None = None) -> None:
        self.endpoint, self.sender = endpoint.rstrip("/"), sender
        self.token = token or managed_identity_token(ACS_SCOPE)

    def send(self, message: OutgoingMessage) -> SendResult:
        if "@" not in message.to:
            raise PermanentChannelError("no email address on the user's profile")
        content: dict[str, str] = {"subject": message.subject, "plainText": message.body}
        if message.html:
            content["html"] = message.html
        body = {
            "senderAddress": self.sender,
            "content": content,
            "recipients": {"to": [{"address": message.to}]},
        }
        headers = {"Authorization": f"Bearer {self.token()}", **_repeatability(message)}
        answer = post_json(f"{self.endpoint}/emails:send?api-version=2023-03-31", body, headers)
        return SendResult(provider_message_id=str(answer.get("id") or "") or None)


class AcsSmsChannel(NotificationChannel):
    name = "sms"

    def __init__(self, endpoint: str, sender: str, token: TokenProvider | None = None) -> None:
        self.endpoint, self.sender = endpoint.rstrip("/"), sender
        self.token = token or managed_identity_token(ACS_SCOPE)

    def send(self, message: OutgoingMessage) -> SendResult:
        if not message.to.startswith("+"):
            raise PermanentChannelError("no phone number (E.164) on the user's profile")
        body = {"from": self.sender, "smsRecipients": [{"to": message.to}], "message": message.body}
        headers = {"Authorization": f"Bearer {self.token()}", **_repeatability(message)}
        answer = post_json(f"{self.endpoint}/sms?api-version=2021-03-07", body, headers)
        results = answer.get("value") or [{}]
        return SendResult(provider_message_id=str(results[0].get("messageId") or "") or None)


class WebhookPushChannel(NotificationChannel):
    """Push through a provider webhook (e.g. a Notification Hubs relay) addressed by user id."""

    name = "push"

    def __init__(self, url: str, token: TokenProvider | None = None) -> None:
        self.url, self.token = url, token

    def send(self, message: OutgoingMessage) -> SendResult:
        headers = {"Idempotency-Key": message.notification_id}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token()}"
        body = {
            "userId": message.user_id,
            "title": message.subject,
            "body": message.body,
            "data": message.metadata,
        }
        answer = post_json(self.url, body, headers)
        return SendResult(provider_message_id=str(answer.get("id") or "") or None)
