"""One orchestration episode: replay the orchestrator over its history plus a batch of new events,
then turn what it decided into history, work and status — everything the engine commits at once.

This module does no I/O: `run_episode` takes the instance row, its SDK history and the batch, and
returns an `Outcome` the engine writes in one SQLite transaction.
"""

from __future__ import annotations

import copy
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devhost.durable import actions as act
from devhost.durable import events as ev
from devhost.durable import fastjson, sessions
from devhost.durable.store import Instance, Message

Handle = Callable[[str], str]
OUT_OF_PROC_MARKER = "$OutOfProcData$:"


@dataclass
class NewMessage:
    kind: str  # "orch" (an event for an instance) or "work" (an activity to run)
    instance_id: str
    execution_id: str | None
    payload: dict[str, Any]
    visible_at: float
    task_id: int | None = None


@dataclass
class Outcome:
    instance: Instance
    consumed: list[int]
    history: list[tuple[bool, str]] = field(default_factory=list)  # (sent to the SDK?, event JSON)
    clear_history: bool = False
    messages: list[NewMessage] = field(default_factory=list)
    children: list[Instance] = field(default_factory=list)
    cancelled_timers: list[int] = field(default_factory=list)
    drop_pending: bool = False  # the execution ended: discard its remaining messages
    handle_seconds: float = 0.0
    failure: str | None = None
    session: sessions.Session | None = None  # the SDK state to keep for the next episode


def is_retry_affecting(msg: Message) -> bool:
    return "retry_failed" in msg.payload or "retry_timer" in msg.payload


def select_batch(inbox: list[Message], has_history: bool) -> list[Message]:
    """All waiting events in one episode (so a fan-out of 100 is not quadratic), except that a
    retry-affecting event takes task ids while it is processed: at most one per episode, first."""
    if not has_history:  # ExecutionStarted must lead, even before events kept from the last run
        inbox = sorted(inbox, key=lambda m: m.payload["event"]["EventType"] != ev.EXECUTION_STARTED)
    batch: list[Message] = []
    for position, msg in enumerate(inbox):
        if position > 0 and is_retry_affecting(msg):
            break
        batch.append(msg)
    return batch


def idempotency_key(instance_id: str, generation: int, position: int) -> str:
    """Stable across redeliveries and retries of the same call: instance, execution, first task id."""
    return f"{instance_id}:{generation}:{position}"


def child_instance_id(instance_id: str, generation: int, task_id: int) -> str:
    return f"{instance_id}:{task_id}" if generation == 0 else f"{instance_id}:{generation}:{task_id}"


class _Episode:
    def __init__(self, inst: Instance, batch: list[Message], now: float) -> None:
        self.inst = copy.copy(inst)  # a flat dataclass of immutable fields; replace() costs 4x
        self.now = now
        self.ts = ev.fmt_epoch(now)
        self.out = Outcome(instance=self.inst, consumed=[m.id for m in batch])
        self.bookkeeping: list[dict[str, Any]] = []
        self.recorded: list[list[Any]] = fastjson.loads(inst.actions)

    def take_id(self) -> int:
        task_id = self.inst.next_task_id
        self.inst.next_task_id += 1
        return task_id

    # --- retries: ids the SDK takes while processing the (first) event ---------------------
    def pre_process(self, first: Message) -> None:
        if "retry_failed" in first.payload:
            info = dict(first.payload["retry_failed"])
            timer_id = self.take_id()
            fire = self.now + info["interval_ms"] / 1000.0
            fire_at = ev.fmt_epoch(fire)
            self.bookkeeping.append(ev.event(ev.TIMER_CREATED, self.ts, timer_id, FireAt=fire_at, Retry=True))
            payload = {"event": ev.timer_fired(fire_at, timer_id, fire_at), "retry_timer": info}
            self.out.messages.append(
                NewMessage("orch", self.inst.instance_id, self.inst.execution_id, payload, fire, timer_id)
            )
        elif "retry_timer" in first.payload:
            info = dict(first.payload["retry_timer"])
            if info["attempt"] < info["max_attempts"]:
                info["attempt"] += 1
                self.schedule(info, self.take_id())

    def schedule(self, info: dict[str, Any], task_id: int) -> None:
        """Start (or restart, for a retry) an activity or a sub-orchestration under `task_id`."""
        if info["kind"] == "activity":
            self.bookkeeping.append(
                ev.event(ev.TASK_SCHEDULED, self.ts, task_id, Name=info["name"], Input=info["input"])
            )
            payload = {"name": info["name"], "input": info["input"], "task_id": task_id, "retry": info}
            self.out.messages.append(
                NewMessage("work", self.inst.instance_id, self.inst.execution_id, payload, self.now, task_id)
            )
            return
        child_id = info["child_id"]
        self.bookkeeping.append(
            ev.event(ev.SUB_ORCHESTRATION_CREATED, self.ts, task_id, Name=info["name"], InstanceId=child_id)
        )
        retry = info if info.get("max_attempts", 1) > 1 else None
        self.out.children.append(
            Instance(
                instance_id=child_id,
                name=info["name"],
                execution_id=uuid.uuid4().hex,
                generation=0,
                status="Pending",
                input=info["input"],
                output=None,
                custom_status=None,
                parent_instance_id=self.inst.instance_id,
                parent_task_id=task_id,
                parent_execution_id=self.inst.execution_id,
                parent_retry=json.dumps(retry) if retry else None,
                next_task_id=0,
                actions="[]",
                created_at=self.ts,
                updated_at=self.ts,
                version=0,
            )
        )
        started = ev.execution_started(self.ts, info["name"], info["input"], self.inst.instance_id)
        child = self.out.children[-1]
        self.out.messages.append(
            NewMessage("orch", child_id, child.execution_id, {"event": started}, self.now)
        )

    # --- new actions --------------------------------------------------------------------------
    def apply_actions(self, flat: list[act.Action]) -> None:
        for action in flat[len(self.recorded) :]:
            if action.type not in act.SUPPORTED:
                raise act.NonDeterminism(f"action type {action.type} is not supported by devhost")
            if action.type in (act.CONTINUE_AS_NEW, act.WAIT_FOR_EXTERNAL_EVENT):
                self.recorded.append([*action.signature, None])
                continue
            task_id = self.take_id()
            self.recorded.append([*action.signature, task_id])
            if action.type == act.CREATE_TIMER:
                fire = ev.parse_time(str(action.name)).timestamp()
                self.bookkeeping.append(ev.event(ev.TIMER_CREATED, self.ts, task_id, FireAt=action.name))
                payload = {"event": ev.timer_fired(str(action.name), task_id, str(action.name))}
                msg = NewMessage(
                    "orch", self.inst.instance_id, self.inst.execution_id, payload, fire, task_id
                )
                self.out.messages.append(msg)
                continue
            retry = action.retry or {"interval_ms": 0, "max_attempts": 1}
            sub = action.type in (act.CALL_SUB_ORCHESTRATOR, act.CALL_SUB_ORCHESTRATOR_WITH_RETRY)
            info: dict[str, Any] = {
                "kind": "suborch" if sub else "activity",
                "name": action.name,
                "input": action.input,
                "attempt": 1,
                "origin": task_id,
                **retry,
                "key": idempotency_key(self.inst.instance_id, self.inst.generation, task_id),
            }
            if sub:
                info["child_id"] = action.raw.get("instanceId") or child_instance_id(
                    self.inst.instance_id, self.inst.generation, task_id
                )
            self.schedule(info, task_id)
        # Positions line up: the recorded list is the flattened action list so far.
        timer_ids = [rec[3] for rec in self.recorded if rec[0] == act.CREATE_TIMER]
        timer_actions = [a for a in flat if a.type == act.CREATE_TIMER]
        self.out.cancelled_timers = [
            tid for tid, a in zip(timer_ids, timer_actions, strict=False) if a.raw.get("isCanceled")
        ]

    # --- endings ----------------------------------------------------------------------------
    def complete(self, state: dict[str, Any], flat: list[act.Action]) -> None:
        again = [a for a in flat if a.type == act.CONTINUE_AS_NEW]
        if again:
            self.inst.generation += 1
            self.inst.execution_id = uuid.uuid4().hex
            self.inst.input = again[-1].input
            self.inst.next_task_id = 0
            self.inst.actions = "[]"
            self.inst.status = "Running"
            self.out.clear_history = True
            self.out.drop_pending = True
            # Work this execution decided on its way out belongs to it and is dropped with it.
            self.out.messages = [m for m in self.out.messages if m.instance_id != self.inst.instance_id]
            started = ev.execution_started(
                self.ts, self.inst.name, self.inst.input, self.inst.parent_instance_id
            )
            self.out.messages.append(
                NewMessage(
                    "orch", self.inst.instance_id, self.inst.execution_id, {"event": started}, self.now
                )
            )
            return
        self.inst.status = "Completed"
        self.inst.output = json.dumps(state.get("output"))
        self.bookkeeping.append(ev.event(ev.EXECUTION_COMPLETED, self.ts, Result=self.inst.output))
        self.out.drop_pending = True
        self.notify_parent(ev.sub_completed(self.ts, self.inst.parent_task_id or 0, self.inst.output), None)

    def fail(self, reason: str, details: str = "") -> None:
        self.inst.status = "Failed"
        self.inst.output = json.dumps(reason)
        self.out.failure = reason
        self.bookkeeping.append(ev.event(ev.EXECUTION_COMPLETED, self.ts, Reason=reason, Failed=True))
        self.out.drop_pending = True
        # A failed orchestrator's last decisions are not carried out (as on Azure).
        self.out.messages, self.out.children = [], []
        retry = json.loads(self.inst.parent_retry) if self.inst.parent_retry else None
        failed = ev.sub_failed(self.ts, self.inst.parent_task_id or 0, reason, details)
        self.notify_parent(failed, retry)

    def notify_parent(self, event: dict[str, Any], retry: dict[str, Any] | None) -> None:
        if not self.inst.parent_instance_id:
            return
        payload: dict[str, Any] = {"event": event}
        if retry is not None:
            payload["retry_failed"] = retry
        self.out.messages.append(
            NewMessage("orch", self.inst.parent_instance_id, self.inst.parent_execution_id, payload, self.now)
        )


def _replay(
    inst: Instance,
    sdk_history: list[str],
    new_events: list[dict[str, Any]],
    new_json: list[str],
    handle: Handle,
    session: sessions.Session | None,
) -> tuple[str, sessions.Session | None]:
    """The SDK's state after the new events: fed to the kept session if there is one, else a
    full replay of the history (which starts a session when the handle allows it)."""
    if session is not None:
        return session.advance(new_events), session
    context = ev.context_json(inst.instance_id, inst.parent_instance_id, inst.input, sdk_history + new_json)
    if sessions.supports_sessions(handle):
        started, state_json = sessions.start(handle, context)
        return state_json, started
    return handle(context), None


def run_episode(
    inst: Instance,
    sdk_history: list[str],
    batch: list[Message],
    handle: Handle,
    now: float,
    session: sessions.Session | None = None,
) -> Outcome:
    """`session`: the SDK state left by this instance's previous episode (then `sdk_history` is
    not needed); None replays `sdk_history` in full."""
    ep = _Episode(inst, batch, now)
    if batch:
        ep.pre_process(batch[0])
    new_events = [ev.orchestrator_started(ep.ts)] + [m.payload["event"] for m in batch]
    new_json = [fastjson.dumps(e) for e in new_events]
    if ep.inst.status == "Pending":
        ep.inst.status = "Running"
    ep.out.history = [(True, text) for text in new_json]
    started = time.perf_counter()
    error: str | None = None
    try:
        state_json, session = _replay(inst, sdk_history, new_events, new_json, handle, session)
        state = fastjson.loads(state_json)
    except Exception as exc:  # the SDK reports an orchestrator's exception by raising
        session = None
        message = str(exc)
        head, marker, tail = message.partition(OUT_OF_PROC_MARKER)
        state = json.loads(tail) if marker else {"actions": []}
        error = head.strip() if marker else f"{type(exc).__name__}: {message}"
    ep.out.handle_seconds = time.perf_counter() - started
    flat = act.flatten(state.get("actions") or [])
    try:
        act.check_determinism(ep.recorded, flat)
        ep.apply_actions(flat)
    except act.NonDeterminism as exc:
        error = f"Non-deterministic orchestration {inst.name!r} ({inst.instance_id}): {exc}"
    if state.get("customStatus") is not None:
        ep.inst.custom_status = json.dumps(state["customStatus"])
    if error is not None:
        ep.fail(error)
    elif state.get("isDone"):
        ep.complete(state, flat)
    ep.inst.actions = fastjson.dumps(ep.recorded) if not ep.out.clear_history else "[]"
    ep.inst.updated_at = ep.ts
    ep.inst.version = inst.version + 1
    ep.bookkeeping.append(ev.event(ev.ORCHESTRATOR_COMPLETED, ep.ts))
    ep.out.history += [(False, fastjson.dumps(e)) for e in ep.bookkeeping]
    if error is None and not ep.inst.is_terminal and not ep.out.clear_history:
        ep.out.session = session  # continue-as-new starts a new generator: replay from scratch
    return ep.out
