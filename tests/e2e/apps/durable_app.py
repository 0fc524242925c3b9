"""A test app with sample orchestrations for devhost's durable engine (not the product app).

Activities that keep state across attempts (flaky counters, side effects) write to a SQLite file
named by DURABLE_TEST_STATE, so the counts survive a devhost restart in the crash test and are
visible to the test process.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import time
from datetime import timedelta
from typing import Any

import azure.durable_functions as df
import azure.functions as func

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)

FAST_RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5, max_number_of_attempts=4)
# Flipped by the determinism test between two episodes of the same instance.
FLIP = {"on": False}


def _state() -> sqlite3.Connection:
    path = os.environ.get("DURABLE_TEST_STATE") or os.path.join(os.getcwd(), ".durable_test_state.db")
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    db.execute("CREATE TABLE IF NOT EXISTS attempts (key TEXT PRIMARY KEY, n INTEGER NOT NULL)")
    db.execute("CREATE TABLE IF NOT EXISTS effects (key TEXT PRIMARY KEY, value TEXT)")
    db.execute("CREATE TABLE IF NOT EXISTS runs (key TEXT, at REAL)")
    return db


def _attempt(key: str) -> int:
    db = _state()
    try:
        db.execute(
            "INSERT INTO attempts (key, n) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET n = n + 1", (key,)
        )
        return int(db.execute("SELECT n FROM attempts WHERE key = ?", (key,)).fetchone()[0])
    finally:
        db.close()


# --- activities --------------------------------------------------------------------------------
@app.activity_trigger(input_name="value")
def add_one(value: int) -> int:
    return value + 1


@app.activity_trigger(input_name="value")
def square(value: int) -> int:
    return value * value


@app.activity_trigger(input_name="job")
def flaky(job: dict) -> str:
    """Fails its first `fail_times` attempts (counted per key), after a random delay."""
    time.sleep(random.uniform(0, job.get("max_delay", 0.01)))
    if _attempt(job["key"]) <= job["fail_times"]:
        raise RuntimeError(f"flaky {job['key']} failed on purpose")
    return str(job["key"])


@app.activity_trigger(input_name="what")
def fail_always(what: str) -> str:
    raise ValueError(f"cannot {what}")


@app.activity_trigger(input_name="what")
def compensate(what: str) -> str:
    return f"undid {what}"


@app.activity_trigger(input_name="step")
def side_effect(step: dict) -> str:
    """One step of the crash test: records every run, and the effect once per idempotency key."""
    db = _state()
    try:
        db.execute("INSERT INTO runs (key, at) VALUES (?, ?)", (step["key"], time.time()))
        db.execute("INSERT OR IGNORE INTO effects (key, value) VALUES (?, ?)", (step["key"], str(step["n"])))
    finally:
        db.close()
    time.sleep(step.get("sleep", 0.0))
    return str(step["key"])


@app.activity_trigger(input_name="value")
def slow_echo(value: Any) -> Any:
    time.sleep(0.2)
    return value


# --- orchestrators -----------------------------------------------------------------------------
@app.orchestration_trigger(context_name="context")
def chain(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    args = context.get_input() or {}
    value = int(args.get("start", 0))
    for _ in range(int(args.get("steps", 4))):
        value = yield context.call_activity("add_one", value)
    return value


@app.orchestration_trigger(context_name="context")
def fan_out(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    n = int(context.get_input() or 100)
    results = yield context.task_all([context.call_activity("square", i) for i in range(n)])
    return sum(results)


@app.orchestration_trigger(context_name="context")
def retry_all(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    """Retries inside task_all: job i fails i % 3 times, plus one that exhausts its attempts."""
    n = int(context.get_input() or 6)
    jobs = [{"key": f"{context.instance_id}:{i}", "fail_times": i % 3} for i in range(n)]
    results = yield context.task_all([context.call_activity_with_retry("flaky", FAST_RETRY, j) for j in jobs])
    try:
        yield context.call_activity_with_retry(
            "flaky", FAST_RETRY, {"key": f"{context.instance_id}:x", "fail_times": 9}
        )
        exhausted = False
    except Exception:
        exhausted = True
    return {"results": results, "exhausted": exhausted}


@app.orchestration_trigger(context_name="context")
def retry_any(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    """Retries inside task_any: whichever finishes first wins; then the rest are awaited too."""
    jobs = [{"key": f"{context.instance_id}:{i}", "fail_times": i % 3, "max_delay": 0.02} for i in range(4)]
    tasks = [context.call_activity_with_retry("flaky", FAST_RETRY, j) for j in jobs]
    winner = yield context.task_any(tasks)
    rest = yield context.task_all(tasks)
    return {"winner": winner.result, "all": rest}


@app.orchestration_trigger(context_name="context")
def race(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    seconds = float((context.get_input() or {}).get("timeout", 0.3))
    timer = context.create_timer(context.current_utc_datetime + timedelta(seconds=seconds))
    approval = context.wait_for_external_event("approval")
    winner = yield context.task_any([approval, timer])
    if winner == approval:
        timer.cancel()
        return {"outcome": "approved", "by": approval.result}
    return {"outcome": "timed out"}


@app.orchestration_trigger(context_name="context")
def parent(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    first = yield context.call_sub_orchestrator("chain", {"start": 10, "steps": 2})
    both = yield context.task_all(
        [context.call_sub_orchestrator("chain", {"start": i, "steps": 1}) for i in range(2)]
    )
    try:
        yield context.call_sub_orchestrator("saga", "boom-child")
        child_failed = False
    except Exception:
        child_failed = True
    return {"first": first, "both": both, "child_ok": not child_failed}


@app.orchestration_trigger(context_name="context")
def flaky_child(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    """Fails as a whole (no activity retry) until its flaky step has failed `fail_times` times."""
    result = yield context.call_activity("flaky", context.get_input())
    return result


@app.orchestration_trigger(context_name="context")
def retry_child(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    job = {"key": f"{context.instance_id}:child", "fail_times": 2}
    result = yield context.call_sub_orchestrator_with_retry("flaky_child", FAST_RETRY, job)
    return result


@app.orchestration_trigger(context_name="context")
def saga(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    """A caught activity failure runs a compensation activity."""
    what = context.get_input() or "ship"
    try:
        yield context.call_activity("fail_always", what)
        return {"compensated": False}
    except Exception as exc:
        undo = yield context.call_activity("compensate", what)
        return {"compensated": True, "undo": undo, "error": str(exc).splitlines()[0]}


@app.orchestration_trigger(context_name="context")
def counter(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    n = int(context.get_input() or 0)
    n = yield context.call_activity("add_one", n)
    if n < 3:
        context.continue_as_new(n)
        return None
    return n


@app.orchestration_trigger(context_name="context")
def waiter(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    """Waits for `go` (terminate tests stop it); the event may arrive before it starts waiting."""
    first = yield context.call_activity("slow_echo", "warm-up")
    context.set_custom_status({"stage": "waiting", "after": first})
    got = yield context.wait_for_external_event("go")
    return {"got": got}


@app.orchestration_trigger(context_name="context")
def ten_steps(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    """The crash test: each step's side effect is keyed by instance id and step."""
    sleep = float((context.get_input() or {}).get("sleep", 0.3))
    done = []
    for step in range(10):
        key = f"{context.instance_id}:{step}"
        done.append((yield context.call_activity("side_effect", {"key": key, "n": step, "sleep": sleep})))
    return done


@app.orchestration_trigger(context_name="context")
def shifty(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    """Non-deterministic on purpose: the determinism check must fail it."""
    first = yield context.call_activity("square" if FLIP["on"] else "slow_echo", 3)
    second = yield context.call_activity("add_one", first)
    return second


# --- starters: the SDK's unmodified client through devhost's binding ---------------------------
@app.route(route="durable/start/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def start(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    body = req.get_body()
    instance_id = await client.start_new(req.route_params["name"], None, req.get_json() if body else None)
    return client.create_check_status_response(req, instance_id)


@app.route(route="durable/status/{instanceId}", methods=["GET"])
@app.durable_client_input(client_name="client")
async def status(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    st = await client.get_status(req.route_params["instanceId"], show_history=True)
    doc = {
        "runtimeStatus": st.runtime_status.value if st.runtime_status else None,
        "output": st.output,
        "customStatus": st.custom_status,
        "historyLength": len(st.history or []),
    }
    return func.HttpResponse(json.dumps(doc), mimetype="application/json")


@app.route(route="durable/event/{instanceId}/{name}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def event(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    await client.raise_event(req.route_params["instanceId"], req.route_params["name"], req.get_json())
    return func.HttpResponse(status_code=202)


@app.route(route="durable/terminate/{instanceId}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def stop(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    await client.terminate(req.route_params["instanceId"], "stopped by test")
    st = await client.get_status(req.route_params["instanceId"])
    return func.HttpResponse(str(st.runtime_status.value if st.runtime_status else None), status_code=200)


@app.route(route="durable/list", methods=["GET"])
@app.durable_client_input(client_name="client")
async def listing(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    everything = await client.get_status_all()
    done = await client.get_status_by(runtime_status=[df.OrchestrationRuntimeStatus.Completed])
    doc = {"all": sorted(s.instance_id for s in everything), "completed": sorted(s.instance_id for s in done)}
    return func.HttpResponse(json.dumps(doc), mimetype="application/json")


@app.route(route="durable/purge/{instanceId}", methods=["POST"])
@app.durable_client_input(client_name="client")
async def purge(req: func.HttpRequest, client: df.DurableOrchestrationClient) -> func.HttpResponse:
    result = await client.purge_instance_history(req.route_params["instanceId"])
    return func.HttpResponse(str(result.instances_deleted))
