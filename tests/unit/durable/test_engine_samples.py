"""The sample orchestrations, driven through the engine directly (no HTTP)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from devhost.durable.engine import Engine


def start(engine: Engine, name: str, value: Any = None, instance_id: str | None = None) -> str:
    return engine.start_new(name, instance_id, json.dumps(value) if value is not None else None)


def test_chain_runs_activities_in_order(run: Any) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        return await engine.wait(start(engine, "chain", {"start": 5, "steps": 4}))

    doc = run(scenario)
    assert doc["runtimeStatus"] == "Completed"
    assert doc["output"] == 9
    assert doc["input"] == {"start": 5, "steps": 4}
    assert doc["createdTime"] <= doc["lastUpdatedTime"]


def test_fan_out_of_100_is_batched(run: Any) -> None:
    async def scenario(engine: Engine) -> tuple[dict[str, Any], int]:
        doc = await engine.wait(start(engine, "fan_out", 100))
        return doc, engine.stats.episodes

    doc, episodes = run(scenario)
    assert doc["runtimeStatus"] == "Completed"
    assert doc["output"] == sum(i * i for i in range(100))
    # One episode per completion would be 101; batching keeps it far lower.
    assert episodes < 40


@pytest.mark.parametrize("round_", range(3))
def test_retry_inside_task_all_under_random_timing(run: Any, round_: int) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        return await engine.wait(start(engine, "retry_all", 6), timeout=20)

    doc = run(scenario)
    assert doc["runtimeStatus"] == "Completed", doc
    results = doc["output"]["results"]
    assert [r.rsplit(":", 1)[1] for r in results] == [str(i) for i in range(6)]
    assert doc["output"]["exhausted"] is True


@pytest.mark.parametrize("round_", range(3))
def test_retry_inside_task_any_under_random_timing(run: Any, round_: int) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        return await engine.wait(start(engine, "retry_any"), timeout=20)

    doc = run(scenario)
    assert doc["runtimeStatus"] == "Completed", doc
    out = doc["output"]
    assert out["winner"] in out["all"]
    assert len(out["all"]) == 4


def test_external_event_beats_the_timer(run: Any) -> None:
    async def scenario(engine: Engine) -> tuple[dict[str, Any], int]:
        iid = start(engine, "race", {"timeout": 30})
        engine.raise_event(iid, "approval", json.dumps("alice"))
        doc = await engine.wait(iid, timeout=10)
        pending_timers = engine.store.db.execute(
            "SELECT COUNT(*) FROM messages WHERE instance_id = ?", (iid,)
        )
        return doc, pending_timers.fetchone()[0]

    doc, pending = run(scenario)
    assert doc["output"] == {"outcome": "approved", "by": "alice"}
    assert pending == 0  # the cancelled 30 s timer is gone, not left to fire


def test_timer_beats_a_late_event(run: Any) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        iid = start(engine, "race", {"timeout": 0.2})
        doc = await engine.wait(iid, timeout=10)
        assert engine.raise_event(iid, "approval", json.dumps("late")).value == "gone"
        return doc

    doc = run(scenario)
    assert doc["output"] == {"outcome": "timed out"}


def test_sub_orchestrations_and_a_failing_child(run: Any) -> None:
    async def scenario(engine: Engine) -> tuple[dict[str, Any], dict[str, Any] | None]:
        iid = start(engine, "parent", instance_id="p1")
        return await engine.wait(iid), engine.status("p1:0")

    doc, child = run(scenario)
    assert doc["runtimeStatus"] == "Completed", doc
    assert doc["output"] == {"first": 12, "both": [1, 2], "child_ok": True}
    assert child is not None and child["output"] == 12  # deterministic child id: parent:taskId


def test_sub_orchestration_with_retry_reruns_the_child(run: Any) -> None:
    async def scenario(engine: Engine) -> tuple[dict[str, Any], dict[str, Any] | None]:
        doc = await engine.wait(start(engine, "retry_child", instance_id="rc"), timeout=15)
        return doc, engine.status("rc", show_history=True)

    doc, full = run(scenario)
    assert doc["runtimeStatus"] == "Completed", doc
    assert doc["output"] == "rc:child"
    assert full is not None
    created = [e for e in full["historyEvents"] if e["EventType"] == "SubOrchestrationInstanceCreated"]
    assert len(created) == 3  # two failed attempts, then the one that succeeded


def test_caught_activity_failure_runs_compensation(run: Any) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        return await engine.wait(start(engine, "saga", "ship"))

    doc = run(scenario)
    assert doc["output"]["compensated"] is True
    assert doc["output"]["undo"] == "undid ship"
    assert "cannot ship" in doc["output"]["error"]


def test_continue_as_new_starts_fresh_executions(run: Any) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        iid = start(engine, "counter", 0)
        await engine.wait(iid)
        doc = engine.status(iid, show_history=True)
        assert doc is not None
        return doc

    doc = run(scenario)
    assert doc["runtimeStatus"] == "Completed"
    assert doc["output"] == 3
    assert doc["input"] == 2  # the last execution's input
    started = [e for e in doc["historyEvents"] if e["EventType"] == "ExecutionStarted"]
    assert len(started) == 1  # only the last execution's history is kept


def test_terminate_a_waiting_instance(run: Any) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        iid = start(engine, "waiter")
        for _ in range(200):
            doc = engine.status(iid)
            if doc and doc["customStatus"]:
                break
            await _sleep(0.02)
        assert engine.terminate(iid, "no longer needed").value == "ok"
        assert engine.terminate(iid, "again").value == "gone"
        final = engine.status(iid, show_history=True)
        assert final is not None
        return final

    doc = run(scenario)
    assert doc["runtimeStatus"] == "Terminated"
    assert doc["output"] == "no longer needed"
    assert doc["customStatus"] == {"stage": "waiting", "after": "warm-up"}
    assert doc["historyEvents"][-1]["EventType"] == "ExecutionTerminated"


def test_an_early_event_is_buffered_until_awaited(run: Any) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        iid = start(engine, "waiter")
        engine.raise_event(iid, "go", json.dumps({"early": True}))
        return await engine.wait(iid)

    doc = run(scenario)
    assert doc["output"] == {"got": {"early": True}}


def test_orchestrator_exception_fails_the_instance_with_its_reason(run: Any) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        iid = start(engine, "chain", {"start": "not a number", "steps": 1})
        return await engine.wait(iid)

    doc = run(scenario)
    assert doc["runtimeStatus"] == "Failed"
    assert "invalid literal" in doc["output"]


async def _sleep(seconds: float) -> None:
    import asyncio

    await asyncio.sleep(seconds)


def test_many_retrying_instances_interleaved(run: Any) -> None:
    """Many instances at once shuffle completion timing further; every one must finish."""

    async def scenario(engine: Engine) -> list[dict[str, Any]]:
        ids = [start(engine, "retry_all", 5) for _ in range(8)] + [
            start(engine, "retry_any") for _ in range(8)
        ]
        return [await engine.wait(iid, timeout=30) for iid in ids]

    docs = run(scenario, timeout=60)
    assert [d["runtimeStatus"] for d in docs] == ["Completed"] * 16
