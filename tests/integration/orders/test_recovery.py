"""The recovery sweep: an order recorded by `POST /orders` whose workflow never started (the process
died in between, the client never retried) is started after the grace period, exactly once, with
the real durable client over devhost's engine."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from devhost.durable.events import EXECUTION_STARTED
from functions import orders as order_functions
from orchestrations.order_workflow import NAME
from shared.orders.deps import OrderDeps
from shared.orders.recovery import recover_orphans, runtime_status, stale_pending
from shared.orders.service import place_order
from tests.integration.orders.durable_client import durable_client
from tests.integration.orders.harness import CUSTOMER, Workflow, charges, levels, order_body, seed_product

Run = Callable[..., Any]
LATER = timedelta(seconds=120)  # past the 60 s grace the tests use


def test_the_sweep_starts_an_orphaned_order_once_even_when_starts_race(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-R", on_hand=3)
    orphan = place_order(deps, CUSTOMER, order_body(deps, "SKU-R"), None).order_id  # never started

    async def scenario(wf: Workflow) -> tuple[list[str], list[list[str]], list[str], int]:
        async with durable_client(wf.engine) as client:
            # Within the grace period its POST may still be about to start it: left alone.
            young = await recover_orphans(client, deps, workflow=NAME, grace_seconds=60)
            later = datetime.now(UTC) + LATER
            # Three sweeps and a retried POST at once: the engine refuses the duplicate starts.
            sweeps = [
                recover_orphans(client, deps, workflow=NAME, grace_seconds=60, now=later) for _ in range(3)
            ]
            runs, _ = await asyncio.gather(
                asyncio.gather(*sweeps), order_functions._ensure_started(client, orphan)
            )
            await wf.finish(orphan)
            again = await recover_orphans(client, deps, workflow=NAME, grace_seconds=60, now=later)
            history = [json.loads(e) for e in wf.engine.store.history(orphan, sdk_only=False)]
            return young, runs, again, sum(e["EventType"] == EXECUTION_STARTED for e in history)

    young, runs, again, executions = run(scenario)
    assert young == [] and again == []
    assert sum(len(r) for r in runs) <= 1  # at most one sweep won the start (or the POST did)
    assert executions == 1  # one workflow ran the order
    state = deps.stream.load(orphan).state  # type: ignore[union-attr]
    assert state.status == "confirmed"
    assert charges(deps, orphan) == [("sandbox", "authorize"), ("sandbox", "capture")]
    assert levels(deps, "SKU-R") == (2, 0)


def test_the_sweep_alone_starts_it(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-S", on_hand=1)
    orphan = place_order(deps, CUSTOMER, order_body(deps, "SKU-S"), None).order_id

    async def scenario(wf: Workflow) -> list[str]:
        async with durable_client(wf.engine) as client:
            started = await recover_orphans(
                client, deps, workflow=NAME, grace_seconds=60, now=datetime.now(UTC) + LATER
            )
            await wf.finish(orphan)
            return started

    assert run(scenario) == [orphan]
    assert deps.stream.load(orphan).state.status == "confirmed"  # type: ignore[union-attr]


def test_the_sweep_never_restarts_a_finished_instance(deps: OrderDeps, run: Run) -> None:
    """An instance that exists but ended (here: terminated before it ran) is not started afresh:
    on both engines a start with that id would re-run it; the order is the cancel path's job."""
    seed_product(deps, "SKU-F", on_hand=1)
    order_id = place_order(deps, CUSTOMER, order_body(deps, "SKU-F"), None).order_id

    async def scenario(wf: Workflow) -> tuple[list[str], str | None]:
        wf.engine.start_new(NAME, order_id, None)
        wf.engine.terminate(order_id, "operator")  # no await in between: it never ran a step
        async with durable_client(wf.engine) as client:
            started = await recover_orphans(
                client, deps, workflow=NAME, grace_seconds=60, now=datetime.now(UTC) + LATER
            )
            await asyncio.sleep(0.2)
            return started, await runtime_status(client, order_id)

    started, status = run(scenario)
    assert started == [] and status == "Terminated"
    assert deps.stream.load(order_id).state.status == "pending"  # type: ignore[union-attr]
    assert charges(deps, order_id) == []


def test_stale_pending_reads_only_old_pending_heads_newest_first_and_bounded(deps: OrderDeps) -> None:
    seed_product(deps, "SKU-Q", on_hand=5)
    first = place_order(deps, CUSTOMER, order_body(deps, "SKU-Q"), None).order_id
    second = place_order(deps, CUSTOMER, order_body(deps, "SKU-Q"), None).order_id
    done = place_order(deps, CUSTOMER, order_body(deps, "SKU-Q"), None).order_id
    deps.stream.update(done, lambda s: [("OrderCancelled", {"reason": "test"})])
    later = datetime.now(UTC) + LATER
    assert stale_pending(deps, older_than=later) == [second, first]
    assert stale_pending(deps, older_than=later, limit=1) == [second]
    assert stale_pending(deps, older_than=datetime.now(UTC) - LATER) == []
