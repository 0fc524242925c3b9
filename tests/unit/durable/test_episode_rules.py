"""The pure rules: flattening actions into task order, the determinism check, batch selection,
and the context JSON the SDK replays."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devhost.durable import actions as act
from devhost.durable import events as ev
from devhost.durable.episode import select_batch
from devhost.durable.store import Message


def _activity(name: str, value: Any = None, retry: bool = False) -> dict[str, Any]:
    raw: dict[str, Any] = {"actionType": 1 if retry else 0, "functionName": name, "input": json.dumps(value)}
    if retry:
        raw["retryOptions"] = {"firstRetryIntervalInMilliseconds": 5, "maxNumberOfAttempts": 3}
    return raw


def test_flatten_follows_yield_order_through_nested_compounds() -> None:
    state_actions = [
        [
            _activity("a"),
            {
                "actionType": 12,
                "compoundActions": [
                    {"actionType": 12, "compoundActions": [_activity("b", retry=True)]},  # a retryable task
                    {"actionType": 6, "externalEventName": "go", "reason": "ExternalEvent"},
                    {"actionType": 5, "fireAt": "2026-01-01T00:00:00.000000Z", "isCanceled": False},
                ],
            },
        ]
    ]
    flat = act.flatten(state_actions)
    assert [(a.type, a.name) for a in flat] == [
        (0, "a"),
        (1, "b"),
        (6, "go"),
        (5, "2026-01-01T00:00:00.000000Z"),
    ]
    assert flat[1].retry == {"interval_ms": 5, "max_attempts": 3}
    assert flat[0].retry is None


def test_determinism_check_names_the_first_difference() -> None:
    recorded = [[0, "a", '"x"'], [0, "b", "1"]]
    act.check_determinism(recorded, act.flatten([[_activity("a", "x"), _activity("b", 1), _activity("c")]]))
    with pytest.raises(act.NonDeterminism, match=r"action #1 was CallActivity\('b'.*now CallActivity\('c'"):
        act.check_determinism(recorded, act.flatten([[_activity("a", "x"), _activity("c", 1)]]))
    with pytest.raises(act.NonDeterminism, match="input"):
        act.check_determinism(recorded, act.flatten([[_activity("a", "y"), _activity("b", 1)]]))
    with pytest.raises(act.NonDeterminism, match="not scheduled again"):
        act.check_determinism(recorded, act.flatten([[_activity("a", "x")]]))


def _msg(i: int, retry: bool = False, event_type: int = ev.TASK_COMPLETED) -> Message:
    payload: dict[str, Any] = {"event": {"EventType": event_type}}
    if retry:
        payload["retry_failed"] = {"attempt": 1}
    return Message(i, "orch", "x", "e", i, payload)


def test_a_retry_affecting_event_is_alone_at_the_head_of_its_batch() -> None:
    plain = [_msg(1), _msg(2), _msg(3)]
    assert [m.id for m in select_batch(plain, has_history=True)] == [1, 2, 3]
    mixed = [_msg(1), _msg(2, retry=True), _msg(3), _msg(4, retry=True)]
    assert [m.id for m in select_batch(mixed, has_history=True)] == [1]
    assert [m.id for m in select_batch(mixed[1:], has_history=True)] == [2, 3]
    assert [m.id for m in select_batch(mixed[3:], has_history=True)] == [4]


def test_execution_started_leads_a_first_episode() -> None:
    early_event = _msg(1, event_type=ev.EVENT_RAISED)
    started = _msg(2, event_type=ev.EXECUTION_STARTED)
    assert [m.id for m in select_batch([early_event, started], has_history=False)] == [2, 1]


def test_context_json_is_what_the_sdk_reads() -> None:
    ts = ev.fmt_epoch(0)
    history = [
        json.dumps(ev.orchestrator_started(ts)),
        json.dumps(ev.execution_started(ts, "o", '"in"', None)),
    ]
    doc = json.loads(ev.context_json("i1", None, '"in"', history))
    assert doc["instanceId"] == "i1" and doc["upperSchemaVersion"] == 1 and doc["input"] == '"in"'
    assert "maximumShortTimerDuration" not in doc
    assert [e["EventType"] for e in doc["history"]] == [ev.ORCHESTRATOR_STARTED, ev.EXECUTION_STARTED]
    assert doc["history"][1]["Version"] == ""
    assert ev.parse_time(ts).timestamp() == 0
