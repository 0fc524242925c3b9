"""POST /orders/{id}/review through the real trigger and durable client: 202 only while a live
workflow waits for the decision; 409 `not_awaiting_review` when none does (it was terminated or
failed, or the decision was already taken), never a 202 nobody acts on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import azure.functions as func

from functions import orders as order_functions
from shared.http.auth import mint_dev_token
from shared.orders.deps import OrderDeps
from tests.integration.orders.durable_client import durable_client
from tests.integration.orders.harness import HIGHEST, Workflow, charges, levels, order_body, seed_product
from tests.unit.edge_support import problem, request

Run = Callable[..., Any]
REVIEW = next(r for r in order_functions.api.routes if r.function_name == "review_order")


async def post_review(client: Any, order_id: str, decision: str) -> func.HttpResponse:
    token = mint_dev_token("staff-1", ["support"])[0]
    req = request(
        "POST",
        f"/api/orders/{order_id}/review",
        body={"decision": decision},
        route_params={"orderId": order_id},
        token=token,
    )
    response: func.HttpResponse = await REVIEW.wrapper(req, client)
    return response


def test_review_of_an_order_whose_workflow_is_gone_is_409(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-W", on_hand=2)
    body = order_body(deps, "SKU-W", HIGHEST)

    async def scenario(wf: Workflow) -> tuple[func.HttpResponse, str]:
        order_id = wf.place(body)
        await wf.until(order_id, "awaiting_review")
        wf.engine.terminate(order_id, "operator")  # the order still reads awaiting_review
        async with durable_client(wf.engine) as client:
            return await post_review(client, order_id, "approve"), order_id

    response, order_id = run(scenario)
    assert response.status_code == 409, response.get_body()  # the old code answered 202
    assert problem(response)["code"] == "not_awaiting_review"
    assert deps.stream.load(order_id).state.status == "awaiting_review"  # type: ignore[union-attr]
    assert charges(deps, order_id) == [("sandbox", "authorize")]  # nothing captured


def test_review_while_the_workflow_waits_is_202_and_a_second_decision_is_409(
    deps: OrderDeps, run: Run
) -> None:
    seed_product(deps, "SKU-Y", on_hand=2)
    body = order_body(deps, "SKU-Y", HIGHEST)

    async def scenario(wf: Workflow) -> tuple[int, dict[str, Any], func.HttpResponse, str]:
        order_id = wf.place(body)
        await wf.until(order_id, "awaiting_review")
        async with durable_client(wf.engine) as client:
            first = await post_review(client, order_id, "approve")
            await wf.finish(order_id)
            second = await post_review(client, order_id, "reject")
        return first.status_code, json.loads(first.get_body()), second, order_id

    status, accepted, second, order_id = run(scenario)
    assert status == 202 and accepted == {"orderId": order_id, "status": "awaiting_review"}
    assert deps.stream.load(order_id).state.status == "confirmed"  # type: ignore[union-attr]
    assert second.status_code == 409 and problem(second)["code"] == "not_awaiting_review"
    assert levels(deps, "SKU-Y") == (1, 0)


def test_a_decision_already_taken_is_409_while_the_order_still_reads_awaiting_review(
    deps: OrderDeps, run: Run
) -> None:
    """Approved, but the capture is slow (provider outage): the order is still `awaiting_review`
    and its workflow live, yet nobody will read a second decision."""
    seed_product(deps, "SKU-Z", on_hand=2)
    body = order_body(deps, "SKU-Z", HIGHEST)
    primary = deps.payments.router.providers[0]

    async def scenario(wf: Workflow) -> tuple[func.HttpResponse, str, str]:
        order_id = wf.place(body)
        await wf.until(order_id, "awaiting_review")
        primary.outage_calls = 4  # type: ignore[attr-defined]  # the capture needs a retry round
        async with durable_client(wf.engine) as client:
            assert (await post_review(client, order_id, "approve")).status_code == 202
            for _ in range(500):
                loaded = deps.stream.load(order_id)
                if loaded is not None and loaded.state.review is not None:
                    break
                await asyncio.sleep(0.01)
            then = deps.stream.load(order_id).state.status  # type: ignore[union-attr]
            second = await post_review(client, order_id, "reject")
            await wf.finish(order_id, timeout=30)
        return second, order_id, then

    second, order_id, then = run(scenario)
    assert then == "awaiting_review"  # decided, not yet confirmed: the case the status alone misses
    assert second.status_code == 409 and problem(second)["code"] == "not_awaiting_review"
    assert deps.stream.load(order_id).state.status == "confirmed"  # type: ignore[union-attr]
