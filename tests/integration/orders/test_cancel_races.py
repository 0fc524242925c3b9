"""Cancellation racing the workflow: a cancel read before the order confirmed, two cancellations
at once, an order no workflow runs, and the HTTP trigger's choice between signalling and undoing."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from functions import orders as order_functions
from orchestrations.order_workflow import REVIEW_EVENT
from shared.orders import compensation, service, workflow
from shared.orders.deps import OrderDeps
from shared.orders.model import OrderState
from tests.integration.orders.harness import (
    CUSTOMER,
    Workflow,
    charges,
    levels,
    order_body,
    seed_product,
)

Run = Callable[..., Any]


def _state(deps: OrderDeps, order_id: str) -> OrderState:
    loaded = deps.stream.load(order_id)
    assert loaded is not None
    return loaded.state


def _confirm(run: Run, order_id: str) -> None:
    async def scenario(wf: Workflow) -> None:
        wf.engine.start_new("order_workflow", order_id, "{}")
        await wf.finish(order_id)

    run(scenario)


def test_cancel_read_while_pending_but_confirmed_before_it_is_recorded(
    deps: OrderDeps, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The request read `pending`, the workflow then confirmed and finished: the cancellation must
    still happen (refund, restock), not be a 202 nobody acts on."""
    seed_product(deps, "SKU-R", on_hand=5)
    order_id = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-R", quantity=2), None).order_id
    stale = _state(deps, order_id)
    _confirm(run, order_id)
    assert _state(deps, order_id).status == "confirmed" and levels(deps, "SKU-R") == (3, 0)

    monkeypatch.setattr(service, "get_order", lambda *_: stale)  # what the request read earlier
    assert service.request_cancel(deps, order_id, CUSTOMER) == "done"
    order = _state(deps, order_id)
    assert order.status == "cancelled" and order.refunded_amount == order.total
    assert levels(deps, "SKU-R") == (5, 0)
    assert charges(deps, order_id)[-1] == ("sandbox", "refund")


def test_two_cancellations_of_a_confirmed_order_restock_once(
    deps: OrderDeps, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_product(deps, "SKU-D", on_hand=5)
    order_id = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-D", quantity=2), None).order_id
    _confirm(run, order_id)
    confirmed = _state(deps, order_id)
    # Both cancellations read the order confirmed and not yet restocked (as concurrent ones do).
    monkeypatch.setattr(compensation, "_load", lambda *_: confirmed)
    assert compensation.compensate(deps, order_id, "cancelled", "first") == "cancelled"
    assert compensation.compensate(deps, order_id, "cancelled", "second") == "cancelled"
    assert levels(deps, "SKU-D") == (5, 0)
    assert [op for _, op in charges(deps, order_id)].count("refund") == 1


def test_cancel_of_an_order_no_workflow_runs_and_a_late_start(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-N", on_hand=2)
    order_id = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-N"), None).order_id
    assert service.request_cancel(deps, order_id, CUSTOMER) == "signal"
    assert service.cancel_without_workflow(deps, order_id) == "cancelled"
    _confirm(run, order_id)  # the POST's start arriving late changes nothing
    assert _state(deps, order_id).status == "cancelled"
    assert charges(deps, order_id) == [] and levels(deps, "SKU-N") == (2, 0)


@dataclass
class Status:
    runtime_status: str | None


class Client:
    """The durable client calls the orders triggers make, over a fixed set of instances."""

    def __init__(self, instances: dict[str, str], fail_start: bool = False) -> None:
        self.instances, self.fail_start = instances, fail_start
        self.raised: list[tuple[str, str, Any]] = []
        self.started: list[str] = []

    async def get_status(self, instance_id: str) -> Status:
        return Status(self.instances.get(instance_id))

    async def raise_event(self, instance_id: str, name: str, data: Any) -> None:
        self.raised.append((instance_id, name, data))

    async def start_new(self, name: str, instance_id: str, data: Any) -> str:
        if self.fail_start:
            raise RuntimeError("the task hub is unavailable")
        self.started.append(instance_id)
        self.instances[instance_id] = "Running"
        return instance_id


def test_the_cancel_trigger_signals_a_live_workflow_and_undoes_an_absent_one(deps: OrderDeps) -> None:
    seed_product(deps, "SKU-T", on_hand=4)
    live = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-T"), None).order_id
    failed = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-T"), None).order_id
    missing = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-T"), None).order_id
    client = Client({live: "Running", failed: "Failed"})
    for order_id in (live, failed, missing):
        asyncio.run(workflow.request_cancellation(client, deps, order_id, CUSTOMER))
    assert [(i, n) for i, n, _ in client.raised] == [(live, REVIEW_EVENT)]
    assert _state(deps, live).status == "pending" and _state(deps, live).cancel_requested
    assert _state(deps, failed).status == _state(deps, missing).status == "cancelled"


def test_starting_a_workflow_never_hides_a_failed_start(deps: OrderDeps) -> None:
    asyncio.run(order_functions._ensure_started(Client({"o-1": "Completed"}, fail_start=True), "o-1"))
    ok = Client({})
    asyncio.run(order_functions._ensure_started(ok, "o-2"))
    assert ok.started == ["o-2"]
    with pytest.raises(RuntimeError):
        asyncio.run(order_functions._ensure_started(Client({}, fail_start=True), "o-3"))
