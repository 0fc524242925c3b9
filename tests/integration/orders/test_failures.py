"""The workflow's failure paths: a provider down through every retry, a reservation lost to the
expiry sweep. Each must end in a final status with everything undone."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from orchestrations.order_workflow import NAME
from shared.inventory import reservations
from shared.orders.deps import OrderDeps
from shared.orders.service import place_order
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
