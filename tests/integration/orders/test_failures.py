"""The workflow's failure paths: a provider down through every retry, a reservation lost to the
expiry sweep. Each must end in a final status with everything undone."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from orchestrations.order_workflow import NAME
from shared.inventory import reservations
from shared.orders.compensation import compensate
from shared.orders.deps import OrderDeps
from shared.orders.model import OrderState
from shared.orders.service import place_order
from shared.orders.stream import NewEvent
from tests.integration.orders.harness import (
    CUSTOMER,
    HIGHEST,
    Workflow,
    charges,
    levels,
    order_body,
    seed_product,
)

Run = Callable[..., Any]


def test_capture_failing_through_every_retry_ends_payment_failed_and_voided(
    deps: OrderDeps, run: Run
) -> None:
    seed_product(deps, "SKU-O", on_hand=2)
    body = order_body(deps, "SKU-O", HIGHEST)
    primary = deps.payments.router.providers[0]

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.until(order_id, "awaiting_review")
        # 3 router attempts x 5 activity attempts: every capture try fails, the void after it works.
        primary.outage_calls = 15  # type: ignore[attr-defined]
        wf.decide(order_id, "approve")
        await wf.finish(order_id, timeout=30)
        return order_id

    order_id = run(scenario)
    state = deps.stream.load(order_id).state  # type: ignore[union-attr]
    assert state.status == "payment_failed" and state.payment is not None and state.payment.status == "voided"
    assert charges(deps, order_id) == [("sandbox", "authorize"), ("sandbox", "void")]
    assert levels(deps, "SKU-O") == (2, 0)


def test_reservation_lost_to_the_sweep_refunds_and_ends_out_of_stock(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-L", on_hand=2)
    body = order_body(deps, "SKU-L", HIGHEST)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.until(order_id, "awaiting_review")
        # The sweep must strike while the workflow waits for the decision (after it extended the
        # hold), not between `awaiting_review` and the extension (that path is a void, not a refund).
        await wf.until_held_for_review(order_id)
        reservations.release(store=deps.store, order_id=order_id, reason="expired")  # what the sweep does
        wf.decide(order_id, "approve")
        await wf.finish(order_id)
        return order_id

    order_id = run(scenario)
    state = deps.stream.load(order_id).state  # type: ignore[union-attr]
    assert state.status == "out_of_stock" and state.payment is not None and state.payment.status == "refunded"
    assert state.refunded_amount == state.total  # the refund shows on the order, not only the payment
    assert charges(deps, order_id) == [
        ("sandbox", "authorize"),
        ("sandbox", "capture"),
        ("sandbox", "refund"),
    ]
    assert levels(deps, "SKU-L") == (2, 0)


def test_compensation_outlasting_its_retries_is_resumed_after_a_pause(deps: OrderDeps, run: Run) -> None:
    """The provider is down through a whole round of the undo step (void): the workflow waits and
    undoes again, rather than fail and leave the order in review with stock and a hold taken."""
    seed_product(deps, "SKU-V", on_hand=2)
    body = order_body(deps, "SKU-V", HIGHEST)
    primary = deps.payments.router.providers[0]

    async def scenario(wf: Workflow) -> str:
        order_id = place_order(deps, CUSTOMER, body, None).order_id
        wf.engine.start_new(NAME, order_id, json.dumps({"compensationRetrySeconds": 1}))
        await wf.until(order_id, "awaiting_review")
        # 3 router attempts x 5 activity attempts: the whole first round of the undo fails.
        primary.outage_calls = 15  # type: ignore[attr-defined]
        wf.decide(order_id, "reject")
        await wf.finish(order_id, timeout=30)
        return order_id

    order_id = run(scenario)
    state = deps.stream.load(order_id).state  # type: ignore[union-attr]
    assert primary.outage_calls == 0  # type: ignore[attr-defined]
    assert state.status == "rejected" and state.payment is not None and state.payment.status == "voided"
    assert charges(deps, order_id) == [("sandbox", "authorize"), ("sandbox", "void")]
    assert levels(deps, "SKU-V") == (2, 0)


def test_confirm_failing_for_good_after_taking_the_stock_puts_the_stock_back(
    deps: OrderDeps, run: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The confirm step commits the reservation (stock leaves the shelf), then cannot record the
    confirmation through any retry: the order ends cancelled and refunded, and the stock it took
    is returned once (`InventoryReturned`), not lost to an under-count."""
    seed_product(deps, "SKU-K", on_hand=2)
    body = order_body(deps, "SKU-K")
    update = deps.stream.update

    def failing_update(order_id: str, decide: Callable[[OrderState], Sequence[NewEvent]]) -> OrderState:
        def guarded(s: OrderState) -> Sequence[NewEvent]:
            events = decide(s)
            if any(kind == "OrderConfirmed" for kind, _ in events):
                raise RuntimeError("the store refuses the confirmation")
            return events

        return update(order_id, guarded)

    monkeypatch.setattr(deps.stream, "update", failing_update)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.finish(order_id, timeout=30)
        return order_id

    order_id = run(scenario)
    state = deps.stream.load(order_id).state  # type: ignore[union-attr]
    assert state.status == "cancelled" and state.payment is not None and state.payment.status == "refunded"
    assert state.restocked and state.refunded_amount == state.total
    assert charges(deps, order_id) == [
        ("sandbox", "authorize"),
        ("sandbox", "capture"),
        ("sandbox", "refund"),
    ]
    assert levels(deps, "SKU-K") == (2, 0)  # the old code left (1, 0): one unit gone for good
    kinds = [e["type"] for e in deps.stream.events(order_id)]
    assert kinds.count("InventoryReturned") == 1 and "OrderConfirmed" not in kinds
    # Undoing again (a retried compensation, a late cancel) returns nothing twice.
    assert compensate(deps, order_id, "cancelled", "again") == "cancelled"
    assert levels(deps, "SKU-K") == (2, 0)
