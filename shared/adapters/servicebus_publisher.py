"""Azure event publisher: azure-servicebus, one client per process, one topic for all events.

Identity-based (DefaultAzureCredential on `SERVICEBUS__fullyQualifiedNamespace`). The event type
travels as the message subject and the `type` application property, which is what the
subscriptions' SQL filters in infra/messaging.json select on; message_id is the event id, so the
topic's duplicate detection drops a relay's repeat. Messages go out in as few batches as fit.

Deliberately thin: no local broker speaks the AMQP/CBS handshake the SDK needs, so this adapter
is not exercised by the contract suite (see tests/integration/test_publisher_contract.py); the
mapping to `ServiceBusMessage` is a pure function with its own unit test.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from azure.servicebus import ServiceBusClient, ServiceBusMessage, ServiceBusMessageBatch, ServiceBusSender

from shared.observability.telemetry import with_trace_context
from shared.ports.messaging import BusMessage, MessagePublisher

if TYPE_CHECKING:
    from shared.settings import Settings


def to_servicebus(message: BusMessage) -> ServiceBusMessage:
    props: dict[str | bytes, Any] = {str(k): v for k, v in message.application_properties.items()}
    props.setdefault("type", message.subject)
    if "traceparent" in props:
        # The Functions host's Service Bus extension links the consumer's trace through
        # Diagnostic-Id (W3C format); `traceparent` stays for devhost and our own consumers.
        props.setdefault("Diagnostic-Id", props["traceparent"])
    return ServiceBusMessage(
        message.body,
        message_id=message.message_id,
        subject=message.subject,
        content_type=message.content_type,
        correlation_id=message.correlation_id,
        session_id=message.session_id,
        application_properties=props,
    )


class ServiceBusPublisher(MessagePublisher):
    def __init__(self, client: ServiceBusClient, topic: str) -> None:
        self.client = client
        self.topic = topic
        self._senders: dict[str, ServiceBusSender] = {}
        self._lock = threading.Lock()  # a sender is not thread-safe: one send at a time

    @classmethod
    def from_settings(cls, settings: Settings) -> ServiceBusPublisher:
        if settings.servicebus_connection_string:  # development: the Service Bus emulator
            return cls(
                ServiceBusClient.from_connection_string(settings.servicebus_connection_string),
                settings.servicebus_topic,
            )
        if not settings.servicebus_namespace:
            raise ValueError("SERVICEBUS__fullyQualifiedNamespace is required for the Service Bus publisher")
        from azure.identity import DefaultAzureCredential

        client = ServiceBusClient(settings.servicebus_namespace, credential=DefaultAzureCredential())
        return cls(client, settings.servicebus_topic)

    def _sender(self, key: str, *, queue: bool) -> ServiceBusSender:
        sender = self._senders.get(key)
        if sender is None:
            sender = (
                self.client.get_queue_sender(key) if queue else self.client.get_topic_sender(topic_name=key)
            )
            self._senders[key] = sender
        return sender

    def _send_batched(self, sender: ServiceBusSender, messages: Sequence[BusMessage]) -> None:
        batch: ServiceBusMessageBatch = sender.create_message_batch()
        for message in messages:
            sb = to_servicebus(message)
            try:
                batch.add_message(sb)
            except ValueError:  # MessageSizeExceededError: this batch is full, send it first
                if len(batch) == 0:
                    raise
                sender.send_messages(batch)
                batch = sender.create_message_batch()
                batch.add_message(sb)
        if len(batch):
            sender.send_messages(batch)

    def publish(self, messages: Sequence[BusMessage]) -> None:
        if not messages:
            return
        with self._lock:
            self._send_batched(self._sender(self.topic, queue=False), with_trace_context(messages))

    def send(self, queue: str, messages: Sequence[BusMessage]) -> None:
        if not messages:
            return
        with self._lock:
            self._send_batched(self._sender(queue, queue=True), with_trace_context(messages))

    def health(self) -> None:
        # Opening the sender performs the CBS token handshake: fails fast without rights.
        with self._lock:
            self._sender(self.topic, queue=False)._open()
