"""How the orders context drives its durable workflow through a client (the triggers hand it the
durable client; this module decides what to ask of it).

The policy around the engine's `runtime_status`: start an order's workflow only if none exists;
send a cancellation to a live workflow or undo here when none runs; accept a review decision only
while a workflow waits for it. The names (orchestrator, review event) are the contract in
shared.kernel.workflows, the same ones orchestrations/ registers.
"""

from __future__ import annotations

import logging
from typing import Any

from shared.kernel import workflows as wf
from shared.kernel.identity import Principal
from shared.orders import service
from shared.orders.deps import OrderDeps
from shared.orders.model import OrderState
from shared.orders.recovery import LIVE, ensure_started, runtime_status

log = logging.getLogger("smartcommerce.orders")

WORKFLOW = wf.ORDER_WORKFLOW
REVIEW_EVENT = wf.ORDER_REVIEW_EVENT


async def start(client: Any, deps: OrderDeps, order_id: str) -> None:
    """Start the order's workflow unless it exists (a retried POST must not restart a finished one)."""
    await ensure_started(client, WORKFLOW, order_id, {"reviewTimeoutSeconds": deps.review_timeout_seconds})


async def request_cancellation(
    client: Any, deps: OrderDeps, order_id: str, principal: Principal, if_match: str | None = None
) -> None:
    """Record the cancellation; tell the order's workflow, or undo here if no workflow runs it
    (never started, or ended without finishing the order): else the order would stay in flight."""
    if service.request_cancel(deps, order_id, principal, if_match) != "signal":
        return
    if await runtime_status(client, order_id) in LIVE:
        await _signal(client, order_id, {"decision": "cancel", "by": principal.sub})
    else:
        service.cancel_without_workflow(deps, order_id)


async def _signal(client: Any, order_id: str, payload: dict[str, Any]) -> None:
    try:
        await client.raise_event(order_id, REVIEW_EVENT, payload)
    except Exception:
        # The workflow already finished: the order's own state answers the client.
        log.info("workflow %s did not take the %s event", order_id, REVIEW_EVENT)


async def submit_review(
    client: Any, deps: OrderDeps, order_id: str, payload: dict[str, Any], if_match: str | None = None
) -> OrderState:
    """Hand a person's decision to the workflow waiting for it; 409 `not_awaiting_review` if none
    waits, 412 if `if_match` names an older version of the order. Returns the order's state as
    read before the decision."""
    state = service.check_reviewable(deps, order_id)
    service.check_if_match(state, if_match)
    # The order says "awaiting review"; only a live workflow acts on the decision (one that failed
    # or was terminated would leave a 202 nobody carries out), so ask the engine too.
    if await runtime_status(client, order_id) not in LIVE:
        raise service.NotAwaitingReview(f"order {order_id} has no running workflow to take a review")
    try:
        await client.raise_event(order_id, REVIEW_EVENT, payload)
    except Exception:
        # It ended between our read and the event (e.g. the review timed out): the engine refused.
        if await runtime_status(client, order_id) not in LIVE:
            raise service.NotAwaitingReview(f"order {order_id} is no longer awaiting review") from None
        raise
    return state
