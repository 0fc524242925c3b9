"""Determinism check, resuming after an engine dies, purge, and the management operations."""

from __future__ import annotations

import asyncio
import json
import sqlite3
from pathlib import Path
from typing import Any

from devhost.durable import messages
from devhost.durable.context import current_idempotency_key
from devhost.durable.engine import Engine
from tests.e2e.apps import durable_app
from tests.unit.durable.conftest import ACTIVITIES, ORCHESTRATORS


def test_a_changed_orchestrator_fails_loudly(run: Any, caplog: Any) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        iid = engine.start_new("shifty", "s1", None)
        for _ in range(200):  # wait until the first call is recorded, then change the code
            if engine.store.history(iid, sdk_only=False):
                break
            await asyncio.sleep(0.01)
        durable_app.FLIP["on"] = True
        return await engine.wait(iid)

    doc = run(scenario)
    assert doc["runtimeStatus"] == "Failed"
    assert "Non-deterministic" in doc["output"]
    assert "'slow_echo'" in doc["output"] and "'square'" in doc["output"]
    assert any("Non-deterministic" in r.getMessage() for r in caplog.records)


def test_a_killed_engine_resumes_and_reruns_only_unfinished_work(tmp_path: Path, test_state: Path) -> None:
    db = tmp_path / "durable.db"

    async def first_life() -> str:
        engine = Engine(db, ORCHESTRATORS, ACTIVITIES, poll_seconds=0.05)
        await engine.start()
        iid = engine.start_new("ten_steps", "crash-1", json.dumps({"sleep": 0.15}))
        # A few steps done, one in flight: each step records its effect, then works 0.15 s. Polled,
        # not a fixed sleep, so a slow machine cannot kill the engine before the first step.
        for _ in range(1500):
            if len(_effects_if_any(test_state)) >= 2:
                break
            await asyncio.sleep(0.01)
        # Simulate SIGKILL: abandon the engine without stop(); its leases stay in the file.
        for task in [*engine._loops, *engine.runner.tasks]:
            task.cancel()
        await asyncio.sleep(0)
        messages.forget_owner(engine.owner)  # what the process's death means to the next one
        engine.store.close()
        return iid

    async def second_life(iid: str) -> dict[str, Any]:
        engine = Engine(db, ORCHESTRATORS, ACTIVITIES, poll_seconds=0.05)
        await engine.start()
        try:
            return await engine.wait(iid, timeout=15)
        finally:
            await engine.stop()

    iid = asyncio.run(first_life())
    before = _effects(test_state)
    assert 0 < len(before) < 10, before
    doc = asyncio.run(second_life(iid))
    assert doc["runtimeStatus"] == "Completed"
    assert doc["output"] == [f"{iid}:{i}" for i in range(10)]
    assert sorted(_effects(test_state)) == sorted(f"{iid}:{i}" for i in range(10))


def _effects_if_any(state: Path) -> list[str]:
    """`_effects`, or none while no activity has created the table yet."""
    try:
        return _effects(state)
    except sqlite3.OperationalError:
        return []


def _effects(state: Path) -> list[str]:
    db = sqlite3.connect(state)
    try:
        return [r[0] for r in db.execute("SELECT key FROM effects")]
    finally:
        db.close()


def test_activities_see_the_engine_idempotency_key(tmp_path: Path) -> None:
    seen: list[str | None] = []

    async def record(input_json: str | None) -> str:
        seen.append(current_idempotency_key())
        return json.dumps(1)

    async def scenario() -> dict[str, Any]:
        engine = Engine(tmp_path / "d.db", ORCHESTRATORS, {"add_one": record}, poll_seconds=0.05)
        await engine.start()
        try:
            return await engine.wait(engine.start_new("chain", "k1", json.dumps({"steps": 2})))
        finally:
            await engine.stop()

    assert asyncio.run(scenario())["runtimeStatus"] == "Completed"
    assert seen == ["k1:0:0", "k1:0:1"]


def test_unknown_orchestrator_and_activity(run: Any) -> None:
    async def scenario(engine: Engine) -> dict[str, Any]:
        try:
            engine.start_new("nope")
        except LookupError:
            pass
        else:
            raise AssertionError("start_new accepted an unknown orchestrator")
        engine.activities.pop("add_one")
        return await engine.wait(engine.start_new("chain", None, json.dumps({"steps": 1})))

    doc = run(scenario)
    assert doc["runtimeStatus"] == "Failed"
    assert "add_one" in doc["output"] and "not registered" in doc["output"]


def test_purge_and_conflicting_start(run: Any) -> None:
    async def scenario(engine: Engine) -> tuple[int, int, dict[str, Any] | None]:
        iid = engine.start_new("waiter", "same")
        try:
            engine.start_new("waiter", "same")
        except FileExistsError:
            pass
        else:
            raise AssertionError("a live instance id was reused")
        engine.terminate(iid, "done")
        engine.start_new("chain", "same", json.dumps({"steps": 1}))  # a finished id may be reused
        await engine.wait("same")
        return engine.purge("same"), engine.purge("same"), engine.status("same")

    purged, again, status = run(scenario)
    assert (purged, again, status) == (1, 0, None)


def test_a_durable_timer_survives_the_engine_dying(tmp_path: Path) -> None:
    db = tmp_path / "durable.db"

    async def first_life() -> tuple[str, str]:
        engine = Engine(db, ORCHESTRATORS, ACTIVITIES, poll_seconds=0.05)
        await engine.start()
        iid = engine.start_new("race", "timer-1", json.dumps({"timeout": 0.6}))
        for _ in range(200):  # until the timer is scheduled (a message due in the future)
            if engine.store.db.execute(
                "SELECT COUNT(*) FROM messages WHERE instance_id = ?", (iid,)
            ).fetchone()[0]:
                break
            await asyncio.sleep(0.01)
        status = (engine.status(iid) or {}).get("runtimeStatus", "?")
        for task in [*engine._loops, *engine.runner.tasks]:  # SIGKILL, as above
            task.cancel()
        await asyncio.sleep(0)
        messages.forget_owner(engine.owner)
        engine.store.close()
        return iid, status

    async def second_life(iid: str) -> dict[str, Any]:
        await asyncio.sleep(0.8)  # the timer comes due while no engine runs
        engine = Engine(db, ORCHESTRATORS, ACTIVITIES, poll_seconds=0.05)
        await engine.start()
        try:
            return await engine.wait(iid, timeout=10)
        finally:
            await engine.stop()

    iid, status_at_kill = asyncio.run(first_life())
    assert status_at_kill in ("Pending", "Running")
    doc = asyncio.run(second_life(iid))
    assert doc["runtimeStatus"] == "Completed"
    assert doc["output"] == {"outcome": "timed out"}
