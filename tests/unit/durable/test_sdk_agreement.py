"""devhost and the SDK's own unit-test style agree on the sample orchestrators.

The SDK documents testing an orchestrator by driving its generator with
`azure.durable_functions.testing.orchestrator_generator_wrapper` and a stand-in context whose
tasks already hold their results. Here the stand-in runs the real activities of the sample app
in-process; each orchestrator's result must equal what devhost's engine produces by replay.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest
from azure.durable_functions.testing import orchestrator_generator_wrapper

from devhost.durable.engine import Engine
from tests.unit.durable.conftest import INDEX


class DoneTask:
    """A task that already finished: `.result` returns its value or raises its error (what the
    wrapper expects), `cancel()` for timers."""

    def __init__(self, value: Any = None, error: Exception | None = None) -> None:
        self._value, self._error = value, error

    @property
    def result(self) -> Any:
        if self._error is not None:
            raise self._error
        return self._value

    def cancel(self) -> None:
        return None


class StandInContext:
    def __init__(self, instance_id: str, value: Any = None, events: dict[str, Any] | None = None) -> None:
        self.instance_id = instance_id
        self._input = value
        self.events = events or {}
        self.current_utc_datetime = datetime(2026, 1, 1, tzinfo=UTC)
        self.custom_status: Any = None
        self.continued_with: Any = "not continued"
        self._children = 0

    def get_input(self) -> Any:
        return self._input

    def call_activity(self, name: str, input_: Any = None) -> DoneTask:
        fn = INDEX.get(name)
        assert fn is not None
        try:
            return DoneTask(fn.user_function(**{fn.param_name: input_}))
        except Exception as exc:
            return DoneTask(error=exc)

    def call_activity_with_retry(self, name: str, retry: Any, input_: Any = None) -> DoneTask:
        task = DoneTask()
        for _ in range(retry.max_number_of_attempts):
            task = self.call_activity(name, input_)
            if task._error is None:
                break
        return task

    def call_sub_orchestrator(self, name: str, input_: Any = None) -> DoneTask:
        self._children += 1
        try:
            return DoneTask(drive(name, StandInContext(f"{self.instance_id}:{self._children}", input_)))
        except Exception as exc:
            return DoneTask(error=exc)

    def task_all(self, tasks: list[DoneTask]) -> DoneTask:
        try:
            return DoneTask([t.result for t in tasks])
        except Exception as exc:
            return DoneTask(error=exc)

    def task_any(self, tasks: list[DoneTask]) -> DoneTask:
        return DoneTask(tasks[0])  # the first listed task is the one that finished first

    def create_timer(self, fire_at: datetime) -> DoneTask:
        return DoneTask(None)

    def wait_for_external_event(self, name: str) -> DoneTask:
        return DoneTask(self.events[name])

    def set_custom_status(self, status: Any) -> None:
        self.custom_status = status

    def continue_as_new(self, value: Any) -> None:
        self.continued_with = value


def drive(name: str, ctx: StandInContext) -> Any:
    fn = INDEX.get(name)
    assert fn is not None
    # The wrapper yields each task, then the orchestrator's return value last.
    generator_fn = getattr(fn.user_function, "orchestrator_function")  # noqa: B009 - set by the SDK decorator
    return list(orchestrator_generator_wrapper(generator_fn(ctx)))[-1]


CASES = [
    ("chain", {"start": 2, "steps": 3}),
    ("fan_out", 100),
    ("saga", "refund"),
    ("parent", None),
    ("retry_all", 4),
]


@pytest.mark.parametrize(("name", "value"), CASES)
def test_sdk_test_style_and_engine_agree(run: Any, name: str, value: Any) -> None:
    async def scenario(engine: Engine) -> Any:
        doc = await engine.wait(
            engine.start_new(name, f"e-{name}", json.dumps(value) if value is not None else None)
        )
        assert doc["runtimeStatus"] == "Completed", doc
        return doc["output"]

    by_engine = run(scenario)
    by_sdk = drive(name, StandInContext(f"s-{name}", value))
    if name == "retry_all":  # results carry the instance id in their keys
        by_sdk["results"] = [r.replace("s-", "e-", 1) for r in by_sdk["results"]]
    if name == "saga":  # the host wraps the message ("Activity function 'x' failed: ..."), as Azure does
        assert "cannot refund" in by_engine.pop("error") and "cannot refund" in by_sdk.pop("error")
    assert by_engine == by_sdk


def test_race_agrees_when_the_event_comes_first(run: Any) -> None:
    async def scenario(engine: Engine) -> Any:
        iid = engine.start_new("race", "r1", json.dumps({"timeout": 30}))
        engine.raise_event(iid, "approval", json.dumps("bob"))
        return (await engine.wait(iid))["output"]

    # The stand-in's task_any picks the first listed task: the event.
    assert run(scenario) == drive("race", StandInContext("r2", {"timeout": 30}, {"approval": "bob"}))


def test_continue_as_new_agrees(run: Any) -> None:
    ctx = StandInContext("c", 0)
    assert drive("counter", ctx) is None and ctx.continued_with == 1  # one execution's decision

    async def scenario(engine: Engine) -> Any:
        return (await engine.wait(engine.start_new("counter", "c1", json.dumps(2))))["output"]

    assert run(scenario) == drive("counter", StandInContext("c2", 2)) == 3
