"""Event publisher port: domain events to the topic, commands to a queue.

Embedded adapter: devhost's SQLite local bus. Azure adapter: azure-servicebus, one topic, the
event type as the message subject and as the `type` application property so subscriptions can
filter. The topology (topic, subscriptions and their filters, queues) lives in
`infra/messaging.json`, read by both devhost and the Bicep templates.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class BusMessage:
    """What travels on the bus, independent of the transport.

    `body` is the UTF-8 JSON of a CloudEvent (or a command); `subject` is the event type;
    `application_properties` always carries `type` (the event type) and, when known,
    `traceparent` and `correlationId`.
    """

    message_id: str
    body: bytes
    subject: str
    content_type: str = "application/cloudevents+json"
    correlation_id: str | None = None
    session_id: str | None = None
    application_properties: Mapping[str, Any] = field(default_factory=dict)


class MessagePublisher(ABC):
    @abstractmethod
    def publish(self, messages: Sequence[BusMessage]) -> None:
        """Send to the events topic. At least once: raise if not every message was accepted."""

    @abstractmethod
    def send(self, queue: str, messages: Sequence[BusMessage]) -> None:
        """Send commands to a queue."""

    def health(self) -> None:  # noqa: B027 - optional override
        """Raise if the bus cannot be reached."""
