"""Service Bus pumps in-process over a real local bus: message mapping, retry, batch, shutdown."""

from __future__ import annotations

import asyncio
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from azure.functions.servicebus import ServiceBusMessage

from devhost.index import FunctionIndex
from devhost.invoker import Invoker
from devhost.servicebus import ServiceBusTriggers
from shared.adapters.localbus import LocalBus
from shared.adapters.localbus_topology import parse_topology
from shared.ports.messaging import BusMessage

TOPOLOGY = parse_topology(
    {
        "topic": "events",
        "subscriptions": [{"name": "flaky", "eventTypes": ["Happened"], "maxDeliveryCount": 3}],
    }
)


async def _run(app: func.FunctionApp, bus: LocalBus, until: Any, timeout: float = 10.0) -> None:
    """Run the pumps until `until()` holds; fail (after stopping them) if it never does."""
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(4) as pool:
        triggers = ServiceBusTriggers(list(FunctionIndex.from_app(app)), bus, Invoker(loop, pool), 4)
        await triggers.start()
        deadline = time.monotonic() + timeout
        while not (reached := until()) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        await triggers.stop(grace_seconds=2)
    assert reached, f"condition not reached within {timeout:g}s"


def test_run_fails_when_the_condition_is_never_reached(tmp_path: Path) -> None:
    bus = LocalBus(tmp_path / "bus.db", TOPOLOGY)
    app = func.FunctionApp()

    @app.service_bus_queue_trigger(arg_name="msg", queue_name="idle", connection="SB")
    def idle(msg: ServiceBusMessage) -> None:
        pass

    with pytest.raises(AssertionError, match="not reached"):
        asyncio.run(_run(app, bus, lambda: False, timeout=0.1))


def test_message_mapping_and_retry_until_success(tmp_path: Path) -> None:
    bus = LocalBus(tmp_path / "bus.db", TOPOLOGY)
    seen: list[ServiceBusMessage] = []
    app = func.FunctionApp()

    @app.service_bus_topic_trigger(
        arg_name="msg", topic_name="events", subscription_name="flaky", connection="SB"
    )
    def flaky(msg: ServiceBusMessage) -> None:
        seen.append(msg)
        if (msg.delivery_count or 0) < 2:
            raise RuntimeError("first try fails")

    bus.publish(
        "events",
        [
            BusMessage(
                "id-1",
                b'{"a": 1}',
                "Happened",
                correlation_id="c-1",
                application_properties={"type": "Happened"},
            )
        ],
    )
    asyncio.run(_run(app, bus, lambda: len(seen) >= 2 and bus.count("events", "flaky") == 0))
    assert [m.delivery_count for m in seen] == [1, 2]
    m = seen[0]
    assert m.message_id == "id-1" and m.get_body() == b'{"a": 1}' and m.correlation_id == "c-1"
    assert m.subject == "Happened" and m.application_properties == {"type": "Happened"}
    assert m.content_type == "application/cloudevents+json" and m.lock_token
    assert bus.dead_letters() == []


def test_batch_cardinality_gets_a_list(tmp_path: Path) -> None:
    bus = LocalBus(tmp_path / "bus.db", TOPOLOGY)
    batches: list[int] = []
    app = func.FunctionApp()

    @app.service_bus_queue_trigger(arg_name="msgs", queue_name="work", connection="SB", cardinality="many")
    def many(msgs: list[ServiceBusMessage]) -> None:
        batches.append(len(msgs))

    bus.send("work", [BusMessage(f"w-{i}", b"{}", "Work") for i in range(3)])
    asyncio.run(_run(app, bus, lambda: sum(batches) >= 3))
    assert sum(batches) == 3 and all(isinstance(n, int) for n in batches)
    assert bus.count("work") == 0


def test_shutdown_releases_unfinished_work_without_counting_it(tmp_path: Path) -> None:
    bus = LocalBus(tmp_path / "bus.db", TOPOLOGY)
    app = func.FunctionApp()
    started: list[int | None] = []

    @app.service_bus_queue_trigger(arg_name="msg", queue_name="slow", connection="SB")
    async def slow(msg: ServiceBusMessage) -> None:
        started.append(msg.delivery_count)
        await asyncio.sleep(30)

    bus.send("slow", [BusMessage("s-1", b"{}", "Work")])
    asyncio.run(_run(app, bus, lambda: bool(started)))  # stop() with a 2 s grace
    [again] = bus.receive("slow")
    assert again.delivery_count == 1  # the interrupted attempt was not counted


def test_a_handler_running_past_its_lock_keeps_the_message(tmp_path: Path) -> None:
    """The pump renews the locks of the messages in flight (one renewal loop per pump): a handler
    running three lock periods is not given a second copy, and its message completes once."""
    topology = parse_topology(
        {"topic": "events", "subscriptions": [], "queues": [{"name": "long", "lockDurationSeconds": 1}]}
    )
    bus = LocalBus(tmp_path / "bus.db", topology)
    app = func.FunctionApp()
    runs: list[int | None] = []
    done: list[str] = []

    @app.service_bus_queue_trigger(arg_name="msg", queue_name="long", connection="SB")
    async def long(msg: ServiceBusMessage) -> None:
        runs.append(msg.delivery_count)
        await asyncio.sleep(3)
        done.append(str(msg.message_id))

    bus.send("long", [BusMessage("l-1", b"{}", "Work"), BusMessage("l-2", b"{}", "Work")])
    asyncio.run(_run(app, bus, lambda: len(done) >= 2 and bus.count("long") == 0, timeout=15))
    assert runs == [1, 1] and sorted(done) == ["l-1", "l-2"]  # no redelivery while it ran
