"""Client operations on the store: start, raise an event, terminate, purge.

Each is one transaction. They bump the instance's `version`, so an episode that was running on
the old row fails its conditional update and its results are dropped (e.g. after terminate).
"""

from __future__ import annotations

import json
import time
import uuid
from enum import Enum

from devhost.durable import events as ev
from devhost.durable import messages
from devhost.durable.store import Instance, Store


class Outcome(Enum):
    OK = "ok"
    NOT_FOUND = "not_found"
    GONE = "gone"  # the instance already completed, failed or was terminated
    CONFLICT = "conflict"


def start_new(
    store: Store, name: str, instance_id: str | None, input_json: str | None
) -> tuple[Outcome, str]:
    """Create a Pending instance and its ExecutionStarted message. An id that names a finished
    instance starts afresh (as on Azure); one that names a live instance is a conflict."""
    instance_id = instance_id or uuid.uuid4().hex
    now = time.time()
    ts = ev.fmt_epoch(now)
    inst = Instance(
        instance_id=instance_id,
        name=name,
        execution_id=uuid.uuid4().hex,
        generation=0,
        status="Pending",
        input=input_json,
        output=None,
        custom_status=None,
        parent_instance_id=None,
        parent_task_id=None,
        parent_execution_id=None,
        parent_retry=None,
        next_task_id=0,
        actions="[]",
        created_at=ts,
        updated_at=ts,
        version=0,
    )
    with store.transaction() as db:
        existing = store.get(instance_id)
        if existing is not None and not existing.is_terminal:
            return Outcome.CONFLICT, instance_id
        if existing is not None:
            store.delete_instance(db, instance_id)
        store.insert_instance(db, inst)
        started = ev.execution_started(ts, name, input_json, None)
        messages.enqueue(db, "orch", instance_id, inst.execution_id, {"event": started}, now)
    return Outcome.OK, instance_id


def raise_event(store: Store, instance_id: str, name: str, data_json: str | None) -> Outcome:
    """Queue an EventRaised. Early events (nobody waiting yet) are simply history the SDK keeps
    until the orchestrator waits for that name. No execution id: it survives continue_as_new."""
    now = time.time()
    with store.transaction() as db:
        inst = store.get(instance_id)
        if inst is None:
            return Outcome.NOT_FOUND
        if inst.is_terminal:
            return Outcome.GONE
        messages.enqueue(
            db, "orch", instance_id, None, {"event": ev.event_raised(ev.fmt_epoch(now), name, data_json)}, now
        )
    return Outcome.OK


def terminate(store: Store, instance_id: str, reason: str) -> Outcome:
    now = time.time()
    ts = ev.fmt_epoch(now)
    with store.transaction() as db:
        inst = store.get(instance_id)
        if inst is None:
            return Outcome.NOT_FOUND
        if inst.is_terminal:
            return Outcome.GONE
        version = inst.version
        inst.status, inst.output, inst.updated_at, inst.version = (
            "Terminated",
            json.dumps(reason),
            ts,
            version + 1,
        )
        store.update_instance(db, inst, version)
        store.append_history(
            db, instance_id, [(False, json.dumps(ev.event(ev.EXECUTION_TERMINATED, ts, Reason=reason)))]
        )
        messages.drop_execution(db, instance_id, keep_events=False)
    return Outcome.OK


def purge(store: Store, instance_id: str) -> int:
    with store.transaction() as db:
        return store.delete_instance(db, instance_id)


def purge_many(store: Store, instances: list[Instance]) -> int:
    with store.transaction() as db:
        return sum(store.delete_instance(db, inst.instance_id) for inst in instances)
