"""A price proposal's life as a Durable orchestration (instance id = proposal id).

A proposal that needs approval waits for the admin's `PriceDecision` event or its deadline,
whichever comes first; then one activity settles it against the proposal document (apply an
approval through the catalog, expire an undecided one: the price stays). A small change needs
no approval and is settled at once. The document, not the orchestration, holds the decision
(shared.pricing.proposals), so a decision and the timeout cannot both win, and a replayed or
retried settle changes nothing twice.
"""

from __future__ import annotations

from collections.abc import Generator
from datetime import datetime
from typing import Any

import azure.durable_functions as df

from shared.composition import get_document_store
from shared.kernel import workflows as wf

bp = df.Blueprint()

ORCHESTRATOR = wf.PRICE_APPROVAL
DECISION_EVENT = wf.PRICE_DECISION_EVENT
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=2_000, max_number_of_attempts=5)


@bp.orchestration_trigger(context_name="context")
def price_approval(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    spec = context.get_input() or {}
    proposal_id = str(spec.get("proposalId") or context.instance_id)
    timed_out = False
    if spec.get("needsApproval"):
        # The deadline comes with the input (the proposal's expiresAt): deterministic on replay.
        deadline = datetime.fromisoformat(str(spec["expiresAt"]))
        context.set_custom_status({"step": "awaiting_approval", "expiresAt": spec["expiresAt"]})
        timer = context.create_timer(deadline)
        decision = context.wait_for_external_event(DECISION_EVENT)
        winner = yield context.task_any([decision, timer])
        if winner == decision:
            timer.cancel()
        else:
            timed_out = True
    context.set_custom_status({"step": "settle"})
    status = yield context.call_activity_with_retry(
        wf.PRICING_SETTLE_PROPOSAL, RETRY, {"proposalId": proposal_id, "timedOut": timed_out}
    )
    context.set_custom_status({"step": "done", "status": status})
    return {"proposalId": proposal_id, "status": status}


@bp.activity_trigger(input_name="step")
def pricing_settle_proposal(step: dict) -> str:
    from shared.pricing.proposals import settle

    return settle(store=get_document_store(), id=str(step["proposalId"]), timed_out=bool(step["timedOut"]))
