"""The order workflow (Durable orchestrator): reserve + authorize + fraud check -> (review) ->
capture -> confirm + notify, with compensation on every failure path.

Three activities on the happy path: the reserve step also authorizes and runs the fraud check,
and the confirm step's own append stages the confirmation notification (round 4,
docs/performance.md, which argues why no merge loses a crash-safety property). The separate
`order_authorize_payment`, `order_fraud_check` and `order_notify` activities stay registered
and are scheduled only when replaying a history recorded before (a result without
`authorization` / `fraud` / `notified`).

The instance id is the order id. Authorization comes before the fraud check because the provider's
risk signal arrives with it; capture waits until the order is approved, so a rejected order only
ever had a hold (voided), never a charge. Deterministic: no I/O, time from the context only;
everything with effects is an activity, each idempotent per order and step.
"""

from __future__ import annotations

import json
from collections.abc import Generator
from datetime import timedelta
from typing import Any

import azure.durable_functions as df

from shared.kernel import workflows as wf

bp = df.Blueprint()

# The contract names live in shared.kernel.workflows (functions/ uses the same ones).
NAME = wf.ORDER_WORKFLOW
REVIEW_EVENT = wf.ORDER_REVIEW_EVENT
DEFAULT_REVIEW_TIMEOUT_SECONDS = 86400
# Activities retry transient trouble (store busy, provider retries exhausted) a few times.
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=500, max_number_of_attempts=5)
# Undoing must not give up after a few seconds of provider outage: that would leave the order in
# flight with its stock held and its hold on the card. Rounds of RETRY, a durable timer between
# them growing from `compensationRetrySeconds` (30 s, 1 min, ... about 4 h in all).
COMPENSATION_ROUNDS = 10
DEFAULT_COMPENSATION_RETRY_SECONDS = 30


def parse_decision(raw: Any) -> dict[str, Any]:
    """The /review (or cancel) event's payload; the client may deliver a JSON string holding JSON."""
    for _ in range(2):
        if isinstance(raw, str):
            try:
                raw = json.loads(raw)
            except ValueError:
                return {"decision": "reject", "note": "unreadable decision"}
    if not isinstance(raw, dict) or raw.get("decision") not in ("approve", "reject", "cancel"):
        return {"decision": "reject", "note": "unreadable decision"}
    return raw


@bp.orchestration_trigger(context_name="context")
def order_workflow(context: df.DurableOrchestrationContext) -> Generator[Any, Any, str]:
    order_id = context.instance_id
    options = context.get_input() or {}
    if isinstance(options, str):
        options = json.loads(options)
    arg = {"orderId": order_id}

    def step(name: str, extra: dict[str, Any] | None = None) -> Any:
        return context.call_activity_with_retry(name, RETRY, {**arg, **(extra or {})})

    def finish(final: str, reason: str) -> Any:
        return step(wf.ORDER_COMPENSATE, {"final": final, "reason": reason})

    try:
        outcome = yield from _run(context, step, options)
    except Exception:
        # A step failed for good (after its retries): undo everything rather than leave the order
        # pending with stock held. No status means "we failed"; the customer sees it cancelled.
        outcome = ("cancelled", "processing_error")
    if outcome[0] == "done":
        return str(outcome[1])
    pause = int(options.get("compensationRetrySeconds") or DEFAULT_COMPENSATION_RETRY_SECONDS)
    for attempt in range(COMPENSATION_ROUNDS):
        try:
            result = yield finish(*outcome)
            return str(result["status"])
        except Exception:
            if attempt == COMPENSATION_ROUNDS - 1:
                raise
        # Compensation is idempotent (each part checks the stream), so a later round resumes it.
        yield context.create_timer(context.current_utc_datetime + timedelta(seconds=pause * 2**attempt))
    raise AssertionError("unreachable")


def _run(
    context: df.DurableOrchestrationContext, step: Any, options: dict[str, Any]
) -> Generator[Any, Any, tuple[str, str]]:
    """The happy path; returns ("done", status) or (final status, reason) to compensate to."""
    reserved = yield step(wf.ORDER_RESERVE_INVENTORY)
    if reserved.get("finished"):
        return ("done", str(reserved["finished"]))
    if not reserved["ok"]:
        return ("out_of_stock", "insufficient_stock")
    if reserved.get("cancelRequested"):
        return ("cancelled", "cancelled on request")

    # The reserve step authorizes and checks too (round 4); a result recorded before that, in the
    # history of a workflow started earlier, has no `authorization`: that history's next task is
    # the separate authorization, which replaying it must schedule again.
    auth = reserved.get("authorization")
    if auth is None:
        auth = yield step(wf.ORDER_AUTHORIZE_PAYMENT)
    if auth["status"] == "cancelled":
        return ("cancelled", "cancelled on request")
    if auth["status"] != "authorized":
        return ("payment_failed", auth.get("code") or "payment_failed")

    # Likewise the fraud check: inside the authorization since round 4, separate before.
    fraud = auth.get("fraud")
    if fraud is None:
        fraud = yield step(wf.ORDER_FRAUD_CHECK)
    decision = fraud["decision"]
    if decision == "review":
        timeout = int(options.get("reviewTimeoutSeconds") or DEFAULT_REVIEW_TIMEOUT_SECONDS)
        deadline = context.current_utc_datetime + timedelta(seconds=timeout)
        # The reservation was made with the short TTL; keep the stock through the wait.
        kept = yield step(wf.ORDER_EXTEND_RESERVATION, {"reviewUntil": deadline.isoformat()})
        if kept.get("finished"):
            return ("done", str(kept["finished"]))
        if kept["status"] == "reservation_lost":
            if kept.get("cancelRequested"):
                return ("cancelled", "cancelled on request")
            return ("out_of_stock", "reservation_expired")
        timer = context.create_timer(deadline)
        waiting = context.wait_for_external_event(REVIEW_EVENT)
        winner = yield context.task_any([waiting, timer])
        if winner == waiting:
            timer.cancel()
            review = parse_decision(waiting.result)
        else:
            review = {"decision": "reject", "note": "review timed out", "timedOut": True}
        yield step(wf.ORDER_RECORD_REVIEW, {"review": review})
        decision = review["decision"]
    if decision == "cancel":
        return ("cancelled", "cancelled on request")
    if decision == "reject":
        return ("rejected", "fraud_rejected")

    try:
        captured = yield step(wf.ORDER_CAPTURE_PAYMENT)
    except Exception:  # the provider stayed unavailable through every retry
        return ("payment_failed", "capture_failed")
    if captured["status"] == "cancelled":
        return ("cancelled", "cancelled on request")
    if captured["status"] != "captured":
        return ("payment_failed", captured.get("code") or "capture_failed")

    confirmed = yield step(wf.ORDER_CONFIRM)
    if confirmed["status"] == "reservation_lost":
        return ("out_of_stock", "reservation_expired")
    if confirmed.get("cancelRequested"):
        return ("cancelled", "cancelled on request")
    # The confirm step requests the confirmation with its own append (`notified`, round 4); a
    # confirm result recorded before that (an earlier workflow's history) asks for the step.
    if not confirmed.get("notified"):
        try:
            yield step(wf.ORDER_NOTIFY, {"kind": "order_confirmed"})
        except Exception:  # the order stands; only the message is missing (the store stayed down)
            return ("done", "confirmed")
    return ("done", "confirmed")
