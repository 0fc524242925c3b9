"""Delivery tracking: one record per (event, channel), sent at most once, retried with backoff.

The record (container `notifications`, partition `/userId`) is created `queued` with an id derived
from the event id and the channel, so:
- a redelivered event finds the record: if it is final (`sent`, `delivered`, `failed`) nothing is
  sent again; if another delivery holds it (a lease in the record), this one leaves it alone;
- a process that crashed (or was shut down) mid-send leaves a `queued` record whose lease
  expires, and a delivery of the event takes it over (at least once beats losing the
  confirmation). The bus may redeliver such a message at once, while the lease still runs, and
  the inbox then marks the event handled: so a delivery that finds a live lease waits (bounded)
  until the record is final, its lease is renewed (the holder is alive and will finish), or the
  lease lapses (it takes over) - never returning a `queued` record that nobody will finish.
The lease covers one attempt (plus the backoff before it) and is renewed at every attempt, so a
dead holder is noticed within about one attempt's time.
Claims and takeovers are conditional writes on the record's ETag, so two deliveries of the same
event racing each other cannot both send.

Transient failures are retried here, in the handler, with exponential backoff (Service Bus itself
redelivers at once, without a delay); after the last attempt, or at the first permanent failure,
the record becomes `failed` with the reason.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.notifications.model import FINAL_STATUSES, notification_id
from shared.notifications.ports import (
    ChannelError,
    NotificationChannel,
    OutgoingMessage,
    PermanentChannelError,
)
from shared.notifications.templates import Rendered
from shared.ports.documents import Container, DocumentExists, ETagMismatch

log = logging.getLogger("smartcommerce.notifications")

LEASE_SECONDS = 60.0  # default: longer than one attempt of any channel (service.py sizes it from settings)
POLL_SECONDS = 0.5  # how often a delivery waiting for another one's lease re-reads the record
_EMAIL = re.compile(r"[^\s<>@]+@[^\s<>@]+")


def _loggable(reason: str) -> str:
    """Providers quote the address they refused; logs carry ids, not personal data."""
    return _EMAIL.sub("<address>", reason)


def _now() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True)
class DeliveryRequest:
    event_id: str
    event_type: str
    user_id: str
    channel: str
    to: str
    template: str
    template_version: int
    rendered: Rendered | None
    render_error: str | None = None
    order_id: str | None = None


@dataclass
class Delivery:
    container: Container
    channels: Mapping[str, NotificationChannel]
    max_attempts: int = 4
    retry_base_seconds: float = 1.0
    sleep: Callable[[float], None] = time.sleep
    lease_seconds: float = LEASE_SECONDS
    poll_seconds: float = POLL_SECONDS

    def _backoff(self, attempt: int) -> float:
        """The wait after failed attempt number `attempt` (1-based)."""
        return self.retry_base_seconds * 2 ** (attempt - 1)

    def _lease_until(self, extra_seconds: float = 0.0) -> str:
        return (_now() + timedelta(seconds=self.lease_seconds + extra_seconds)).isoformat()

    def deliver(self, request: DeliveryRequest) -> dict[str, Any]:
        """The final (or, when another delivery owns it, current) record of this notification."""
        record = self._claim(request)
        if record.get("_claimed") is not True:
            return record
        record.pop("_claimed")
        if request.rendered is None:
            return self._finish(
                record, "failed", reason=request.render_error or "the template did not render"
            )
        return self._send(record, request, request.rendered)

    def _claim(self, request: DeliveryRequest) -> dict[str, Any]:
        now = _now()
        nid = notification_id(request.event_id, request.channel)
        fresh: dict[str, Any] = {
            "id": nid,
            "userId": request.user_id,
            "eventId": request.event_id,
            "eventType": request.event_type,
            "channel": request.channel,
            "template": request.template,
            "templateVersion": request.template_version,
            "subject": request.rendered.subject if request.rendered else "",
            "orderId": request.order_id,
            "status": "queued",
            "attempts": 0,
            "createdAt": now.isoformat(),
            "leaseUntil": self._lease_until(),
        }
        try:
            return {**self.container.create(fresh), "_claimed": True}
        except DocumentExists:
            existing = self._wait_for_holder(self.container.read(nid, request.user_id))
        if existing.get("status") in FINAL_STATUSES or _lease_live(existing):
            log.info("notification %s already %s; not sending again", existing["id"], existing.get("status"))
            return existing
        try:
            taken = self.container.replace(
                {**existing, "leaseUntil": self._lease_until()}, if_match=existing["_etag"]
            )
        except ETagMismatch:
            return self.container.read(nid, request.user_id)
        return {**taken, "_claimed": True}

    def _wait_for_holder(self, record: dict[str, Any]) -> dict[str, Any]:
        """`record` as it is once it is final, renewed by a live holder, or its lease has lapsed.

        Bounded by the longest a live holder goes without renewing (one attempt plus the longest
        backoff); if none of the three happened by then, the record is returned as it is."""
        if record.get("status") in FINAL_STATUSES or not _lease_live(record):
            return record
        remaining = (datetime.fromisoformat(str(record["leaseUntil"])) - _now()).total_seconds()
        bound = min(remaining, self.lease_seconds + self._backoff(max(1, self.max_attempts - 1)))
        current = record
        for _ in range(math.ceil(max(bound, 0.0) / self.poll_seconds) + 1):
            self.sleep(self.poll_seconds)
            current = self.container.read(record["id"], record["userId"])
            if (
                current.get("status") in FINAL_STATUSES
                or current.get("leaseUntil") != record.get("leaseUntil")
                or not _lease_live(current)
            ):
                break
        return current

    def _send(self, record: dict[str, Any], request: DeliveryRequest, rendered: Rendered) -> dict[str, Any]:
        channel = self.channels[request.channel]
        message = OutgoingMessage(
            notification_id=record["id"],
            channel=request.channel,
            user_id=request.user_id,
            to=request.to,
            subject=rendered.subject,
            body=rendered.body,
            html=rendered.html,
            metadata={
                "eventType": request.event_type,
                **({"orderId": request.order_id} if request.order_id else {}),
            },
        )
        reason = str(record.get("lastError") or "")  # a taken-over record may have no attempt left
        for attempt in range(int(record.get("attempts", 0)) + 1, self.max_attempts + 1):
            try:
                result = channel.send(message)
            except PermanentChannelError as exc:
                return self._finish(record, "failed", reason=exc.reason, attempts=attempt)
            except Exception as exc:  # transient, or an adapter bug: both worth another try
                reason = exc.reason if isinstance(exc, ChannelError) else f"{type(exc).__name__}"
                log.warning(
                    "notification %s attempt %d/%d failed: %s",
                    record["id"],
                    attempt,
                    self.max_attempts,
                    _loggable(reason),
                )
                delay = self._backoff(attempt) if attempt < self.max_attempts else 0.0
                # Renewing the lease here tells a waiting redelivery that this holder is alive.
                # Conditional: if this attempt outlived the lease and another delivery took the
                # record over, that one owns it now and this one stops trying.
                try:
                    record = self.container.replace(
                        {
                            **record,
                            "attempts": attempt,
                            "lastError": reason,
                            "leaseUntil": self._lease_until(delay),
                        },
                        if_match=record["_etag"],
                    )
                except ETagMismatch:
                    log.warning("notification %s was taken over by another delivery", record["id"])
                    return self.container.read(record["id"], record["userId"])
                if delay:
                    self.sleep(delay)
                continue
            status = "delivered" if result.delivered else "sent"
            return self._finish(
                record, status, attempts=attempt, provider_message_id=result.provider_message_id
            )
        return self._finish(
            record,
            "failed",
            reason=f"gave up after {self.max_attempts} attempts: {reason}",
            attempts=self.max_attempts,
        )

    def _finish(
        self,
        record: dict[str, Any],
        status: str,
        *,
        reason: str | None = None,
        attempts: int | None = None,
        provider_message_id: str | None = None,
    ) -> dict[str, Any]:
        at = _now().isoformat()
        update: dict[str, Any] = {"status": status, "leaseUntil": None}
        if attempts is not None:
            update["attempts"] = attempts
        if status in ("sent", "delivered"):
            update["sentAt"] = at
            update["providerMessageId"] = provider_message_id
        if status == "delivered":
            update["deliveredAt"] = at
        if status == "failed":
            update.update(failedAt=at, reason=reason)
        log.info(
            "notification %s %s (channel=%s attempts=%s)",
            record["id"],
            status,
            record["channel"],
            update.get("attempts", record.get("attempts")),
        )
        return self.container.replace({**record, **update})


def _lease_live(record: dict[str, Any]) -> bool:
    return str(record.get("leaseUntil") or "") > _now().isoformat()
