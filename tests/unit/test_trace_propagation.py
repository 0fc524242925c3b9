"""The trace travels: publishers stamp outgoing messages, devhost's Service Bus pump continues it.

Request span -> event/command on the bus (traceparent property) -> the consuming function runs in
a span of the same trace -> what it emits carries that trace on.
"""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import azure.functions as func
import pytest
from azure.functions.servicebus import ServiceBusMessage

from devhost.index import FunctionIndex
from devhost.invoker import Invoker
from devhost.servicebus import ServiceBusTriggers
from shared.adapters.local_publisher import LocalBusPublisher
from shared.adapters.localbus import LocalBus
from shared.adapters.localbus_topology import parse_topology
from shared.adapters.servicebus_publisher import to_servicebus
from shared.messaging.events import PlatformPinged, new_event
from shared.observability.telemetry import configure_tracing, current_traceparent, tracer, with_trace_context
from shared.ports.messaging import BusMessage
from shared.settings import get_settings
from tests.unit.edge_support import (
    fresh_settings,  # noqa: F401 - autouse fixture
    use_env,
)

TOPOLOGY = parse_topology({"topic": "events", "subscriptions": [{"name": "all", "eventTypes": ["Happened"]}]})
SENT = "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01"


@pytest.fixture(autouse=True)
def tracing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_env(monkeypatch, tmp_path)
    configure_tracing(get_settings())  # an SDK provider: spans get their own ids


def trace_id(traceparent: str | None) -> str:
    assert traceparent is not None
    return traceparent.split("-")[1]


def test_messages_without_a_traceparent_get_the_current_one() -> None:
    bare = BusMessage("m1", b"{}", "Command", application_properties={"type": "Command"})
    own = BusMessage(
        "m2", b"{}", "Happened", application_properties={"type": "Happened", "traceparent": SENT}
    )
    assert with_trace_context([bare, own]) == [bare, own]  # no span: nothing to add
    with tracer().start_as_current_span("request"):
        current = current_traceparent()
        stamped, kept = with_trace_context([bare, own])
    assert stamped.application_properties == {"type": "Command", "traceparent": current}
    assert kept is own  # an event keeps the trace it was created in
    assert "traceparent" not in bare.application_properties  # the caller's message is not changed


def test_the_local_publisher_sends_the_trace(tmp_path: Path) -> None:
    bus = LocalBus(tmp_path / "bus.db", TOPOLOGY)
    try:
        with tracer().start_as_current_span("request"):
            current = current_traceparent()
            LocalBusPublisher(bus).publish([BusMessage("m1", b"{}", "Happened", application_properties={})])
        [leased] = bus.receive("events", "all", max_count=5)
        assert leased.message.application_properties["traceparent"] == current
    finally:
        bus.close()


def test_service_bus_messages_carry_the_trace_for_the_functions_host() -> None:
    event = new_event(PlatformPinged(requested_by="ops"), subject="s", traceparent=SENT)
    props = to_servicebus(event.to_message()).application_properties
    assert props is not None
    assert props["traceparent"] == SENT and props["Diagnostic-Id"] == SENT


def test_a_service_bus_triggered_function_continues_the_senders_trace(tmp_path: Path) -> None:
    bus = LocalBus(tmp_path / "bus.db", TOPOLOGY)
    seen: list[tuple[str | None, str | None]] = []
    app = func.FunctionApp()

    @app.service_bus_topic_trigger(
        arg_name="msg", topic_name="events", subscription_name="all", connection="SB"
    )
    def consume(msg: ServiceBusMessage) -> None:
        emitted = new_event(PlatformPinged(requested_by="consumer"), subject="s")
        seen.append((current_traceparent(), emitted.traceparent))

    async def run() -> None:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(2) as pool:
            triggers = ServiceBusTriggers(list(FunctionIndex.from_app(app)), bus, Invoker(loop, pool), 2)
            await triggers.start()
            deadline = time.monotonic() + 10
            while not seen and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await triggers.stop(grace_seconds=2)

    try:
        props = {"type": "Happened", "traceparent": SENT}
        bus.publish("events", [BusMessage("m1", b"{}", "Happened", application_properties=props)])
        asyncio.run(run())
    finally:
        bus.close()
    [(inside, emitted)] = seen
    assert trace_id(inside) == trace_id(SENT)
    assert inside is not None and inside.split("-")[2] != SENT.split("-")[2]  # a child span
    assert emitted == inside  # what the handler emits carries the trace on


def test_a_command_staged_in_the_outbox_carries_the_trace_it_was_staged_in(tmp_path: Path) -> None:
    from shared.adapters.sqlite_documents import SqliteDocumentStore
    from shared.messaging.outbox import UnitOfWork
    from shared.messaging.relay import OutboxRelay

    topology = parse_topology({"topic": "events", "subscriptions": [], "queues": [{"name": "commands"}]})
    bus = LocalBus(tmp_path / "bus.db", topology)
    store = SqliteDocumentStore(tmp_path / "documents.db")
    orders = store.container("trace-orders", "/orderId")
    try:
        with tracer().start_as_current_span("activity"):
            staged = current_traceparent()
            command = BusMessage("c1", b"{}", "Command", application_properties={"type": "Command"})
            UnitOfWork(orders, "o1").create({"id": "o1", "orderId": "o1"}).send("commands", command).commit()
        # The relay runs outside any span (a timer), yet the consumer continues the staging trace.
        OutboxRelay(store, LocalBusPublisher(bus), {orders.name: "/orderId"}).run_once()
        [leased] = bus.receive("commands", None, max_count=5)
        assert leased.message.application_properties["traceparent"] == staged
        assert "traceparent" not in command.application_properties  # the caller's message unchanged
    finally:
        bus.close()
        store.close()


def test_a_delivery_span_is_recorded_only_when_a_processor_listens(monkeypatch: pytest.MonkeyPatch) -> None:
    """devhost's consumer span: the SDK's recorded CONSUMER span under an exporter; without one an
    unrecorded span with the context the SDK would have made (same trace, a new span id)."""
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import SpanKind

    from devhost.servicebus import consumer_span

    with consumer_span("servicebus quiet", {"traceparent": SENT}) as quiet:
        inside = current_traceparent()
    assert not quiet.is_recording()
    assert (
        trace_id(inside) == trace_id(SENT)
        and inside is not None
        and inside.split("-")[2] != SENT.split("-")[2]
    )

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    with consumer_span("servicebus watched", {"traceparent": SENT}) as watched:
        recorded = current_traceparent()
    assert watched.is_recording() is False  # ended
    [span] = exporter.get_finished_spans()
    assert span.name == "servicebus watched" and span.kind is SpanKind.CONSUMER
    assert span.parent is not None and format(span.parent.span_id, "016x") == SENT.split("-")[2]
    assert recorded is not None and recorded.split("-")[2] == format(span.context.span_id, "016x")
