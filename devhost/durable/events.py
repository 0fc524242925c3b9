"""History events in the shape the SDK's replay reads (see DEVHOST.md, "replay protocol").

Events are plain dicts, stored as JSON text one per history row, so an episode's context JSON is
built by joining stored strings instead of re-serialising the whole history every time.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

TIMESTAMP_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

# EventType numbers (azure.durable_functions.models.history.HistoryEventType).
EXECUTION_STARTED = 0
EXECUTION_COMPLETED = 1
EXECUTION_TERMINATED = 3
TASK_SCHEDULED = 4
TASK_COMPLETED = 5
TASK_FAILED = 6
SUB_ORCHESTRATION_CREATED = 7
SUB_ORCHESTRATION_COMPLETED = 8
SUB_ORCHESTRATION_FAILED = 9
TIMER_CREATED = 10
TIMER_FIRED = 11
ORCHESTRATOR_STARTED = 12
ORCHESTRATOR_COMPLETED = 13
EVENT_RAISED = 15

# Events the SDK ignores: kept in history for status and tooling, never sent to `handle`
# (dropping them makes replay ~35% cheaper).
BOOKKEEPING = frozenset(
    {
        EXECUTION_COMPLETED,
        EXECUTION_TERMINATED,
        TASK_SCHEDULED,
        SUB_ORCHESTRATION_CREATED,
        TIMER_CREATED,
        ORCHESTRATOR_COMPLETED,
    }
)

EVENT_NAMES = {
    EXECUTION_STARTED: "ExecutionStarted",
    EXECUTION_COMPLETED: "ExecutionCompleted",
    EXECUTION_TERMINATED: "ExecutionTerminated",
    TASK_SCHEDULED: "TaskScheduled",
    TASK_COMPLETED: "TaskCompleted",
    TASK_FAILED: "TaskFailed",
    SUB_ORCHESTRATION_CREATED: "SubOrchestrationInstanceCreated",
    SUB_ORCHESTRATION_COMPLETED: "SubOrchestrationInstanceCompleted",
    SUB_ORCHESTRATION_FAILED: "SubOrchestrationInstanceFailed",
    TIMER_CREATED: "TimerCreated",
    TIMER_FIRED: "TimerFired",
    ORCHESTRATOR_STARTED: "OrchestratorStarted",
    ORCHESTRATOR_COMPLETED: "OrchestratorCompleted",
    EVENT_RAISED: "EventRaised",
}


def utc_now() -> datetime:
    return datetime.now(UTC)


def fmt_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(TIMESTAMP_FORMAT)


def fmt_epoch(seconds: float) -> str:
    return fmt_time(datetime.fromtimestamp(seconds, UTC))


def parse_time(text: str) -> datetime:
    """Parse the SDK's timestamps ("...Z", with or without fractions) to an aware datetime."""
    cleaned = text.strip().replace("Z", "+00:00")
    return datetime.fromisoformat(cleaned).astimezone(UTC)


def event(event_type: int, timestamp: str, event_id: int = -1, **fields: Any) -> dict[str, Any]:
    return {"EventType": event_type, "EventId": event_id, "IsPlayed": False, "Timestamp": timestamp, **fields}


def orchestrator_started(timestamp: str) -> dict[str, Any]:
    return event(ORCHESTRATOR_STARTED, timestamp)


def execution_started(
    timestamp: str, name: str, input_json: str | None, parent: str | None
) -> dict[str, Any]:
    # `Version` must be present: the SDK reads it from the ExecutionStarted event.
    return event(
        EXECUTION_STARTED, timestamp, Name=name, Input=input_json, Version="", ParentInstanceId=parent
    )


def task_completed(timestamp: str, task_id: int, result_json: str | None) -> dict[str, Any]:
    return event(TASK_COMPLETED, timestamp, TaskScheduledId=task_id, Result=result_json)


def task_failed(timestamp: str, task_id: int, reason: str, details: str) -> dict[str, Any]:
    return event(TASK_FAILED, timestamp, TaskScheduledId=task_id, Reason=reason, Details=details)


def sub_completed(timestamp: str, task_id: int, result_json: str | None) -> dict[str, Any]:
    return event(SUB_ORCHESTRATION_COMPLETED, timestamp, TaskScheduledId=task_id, Result=result_json)


def sub_failed(timestamp: str, task_id: int, reason: str, details: str) -> dict[str, Any]:
    return event(SUB_ORCHESTRATION_FAILED, timestamp, TaskScheduledId=task_id, Reason=reason, Details=details)


def timer_fired(timestamp: str, timer_id: int, fire_at: str) -> dict[str, Any]:
    return event(TIMER_FIRED, timestamp, TimerId=timer_id, FireAt=fire_at)


def event_raised(timestamp: str, name: str, input_json: str | None) -> dict[str, Any]:
    return event(EVENT_RAISED, timestamp, Name=name, Input=input_json)


def context_json(
    instance_id: str, parent_instance_id: str | None, input_json: str | None, history_json: list[str]
) -> str:
    """The orchestration trigger's context: schema version 1 and no `maximumShortTimerDuration`
    (the V3 long-timer path assigns task ids the engine could not predict)."""
    head = json.dumps(
        {
            "instanceId": instance_id,
            "isReplaying": False,
            "parentInstanceId": parent_instance_id,
            "upperSchemaVersion": 1,
            "input": input_json,
        }
    )
    return head[:-1] + ', "history": [' + ", ".join(history_json) + "]}"


def describe(ev: dict[str, Any]) -> str:
    """One line for tooling: the event's name plus the fields that identify it."""
    name = EVENT_NAMES.get(int(ev.get("EventType", -1)), str(ev.get("EventType")))
    keys = ("Name", "TaskScheduledId", "TimerId", "FireAt", "Reason")
    extra = " ".join(f"{k}={ev[k]}" for k in keys if ev.get(k) is not None)
    if ev.get("EventId", -1) != -1:
        extra = f"id={ev['EventId']} {extra}"
    return f"{ev.get('Timestamp', '')} {name} {extra}".rstrip()
