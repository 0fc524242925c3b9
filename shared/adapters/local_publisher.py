"""Embedded event publisher: the port over devhost's SQLite local bus (`<data-dir>/bus.db`).

Fan-out to subscriptions, filters and duplicate detection are the bus's job (see localbus.py);
this adapter only points messages at the topology's topic.
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.adapters.localbus import LocalBus
from shared.observability.telemetry import with_trace_context
from shared.ports.messaging import BusMessage, MessagePublisher


class LocalBusPublisher(MessagePublisher):
    def __init__(self, bus: LocalBus) -> None:
        self.bus = bus

    def publish(self, messages: Sequence[BusMessage]) -> None:
        # A message no subscription wants is dropped, as Service Bus does: still "accepted".
        if messages:
            self.bus.publish(self.bus.topology.topic, with_trace_context(messages))

    def send(self, queue: str, messages: Sequence[BusMessage]) -> None:
        if messages:
            self.bus.send(queue, with_trace_context(messages))

    def health(self) -> None:
        self.bus.entities()
