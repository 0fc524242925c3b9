"""Extended sessions (host.json `extendedSessionsEnabled`, devhost/durable/sessions.py): the SDK
state kept between episodes must give exactly what a full replay gives.

The sample and SDK-agreement tests run here a second time with sessions on (the `run` fixture
below overrides the shared one), so every orchestration shape (chains, fan-out, retries inside
task_all/task_any, timers, events, sub-orchestrations, continue-as-new, terminate, failures)
is checked both ways.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from devhost.durable.engine import Engine
from tests.e2e.apps import durable_app
from tests.unit.durable.conftest import ACTIVITIES, ORCHESTRATORS, Scenario, T, with_engine
from tests.unit.durable.test_engine_samples import *  # noqa: F403 - rerun with sessions on
from tests.unit.durable.test_sdk_agreement import *  # noqa: F403 - rerun with sessions on

SESSION_HITS: list[int] = []


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Any]:
    """The shared `run` fixture with extended sessions on; records how many episodes used one."""

    def runner(scenario: Scenario[T], db: Path | None = None, timeout: float = 30.0, **options: Any) -> T:
        async def counted(engine: Engine) -> T:
            try:
                return await scenario(engine)
            finally:
                SESSION_HITS.append(engine.sessions.hits)

        coro = with_engine(db or tmp_path / "durable.db", counted, extended_sessions=True, **options)
        return asyncio.run(asyncio.wait_for(coro, timeout))

    return runner


def test_episodes_after_the_first_use_the_kept_session(run: Any) -> None:
    async def scenario(engine: Engine) -> tuple[dict[str, Any], int, int]:
        doc = await engine.wait(engine.start_new("chain", "c1", json.dumps({"start": 1, "steps": 5})))
        return doc, engine.stats.episodes, engine.sessions.misses

    doc, episodes, misses = run(scenario)
    assert doc["output"] == 6
    assert episodes >= 6
    assert misses == 1  # only the first episode replayed (there was nothing to replay)
    assert SESSION_HITS[-1] == episodes - 1
    assert len(ORCHESTRATORS) and len(ACTIVITIES)


def test_a_restart_replays_in_full_and_still_catches_changed_code(tmp_path: Path) -> None:
    """Sessions live in one process: the next start replays from history, so a code change
    between two runs is still caught by the determinism check."""
    db = tmp_path / "durable.db"

    async def first_life(engine: Engine) -> str:
        iid = engine.start_new("shifty", "s1", None)
        for _ in range(500):
            if engine.store.history(iid, sdk_only=False):
                break
            await asyncio.sleep(0.01)
        return iid

    async def second_life(engine: Engine) -> dict[str, Any]:
        return await engine.wait("s1")

    iid = asyncio.run(with_engine(db, first_life, extended_sessions=True))
    durable_app.FLIP["on"] = True  # "the code changed" while devhost was down
    doc = asyncio.run(asyncio.wait_for(with_engine(db, second_life, extended_sessions=True), 30))
    assert iid == "s1"
    assert doc["runtimeStatus"] == "Failed"
    assert "Non-deterministic" in doc["output"]


def test_a_session_from_before_a_terminate_is_not_used(run: Any) -> None:
    """Terminated while waiting (its session kept), then started again under the same id: the
    new execution must start from its own first line, not resume the old generator."""

    async def waiting(engine: Engine, iid: str) -> None:
        for _ in range(500):
            doc = engine.status(iid)
            if doc and doc["customStatus"]:
                return
            await asyncio.sleep(0.01)
        raise AssertionError("never waited")

    async def scenario(engine: Engine) -> tuple[dict[str, Any], int]:
        iid = engine.start_new("waiter", "w1", None)
        await waiting(engine, iid)
        assert engine.terminate(iid, "stop").value == "ok"
        engine.start_new("waiter", iid, None)
        await waiting(engine, iid)
        engine.raise_event(iid, "go", json.dumps("second"))
        await engine.wait(iid)
        doc = engine.status(iid, show_history=True)
        assert doc is not None
        return doc, engine.sessions.misses

    doc, misses = run(scenario)
    assert doc["runtimeStatus"] == "Completed"
    assert doc["output"] == {"got": "second"}
    started = [e for e in doc["historyEvents"] if e["EventType"] == "ExecutionStarted"]
    assert len(started) == 1
    assert misses >= 2  # each execution's first episode replayed


class _Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _session() -> Any:
    from devhost.durable.sessions import Session

    return Session(executor=None, context=None)  # type: ignore[arg-type]  # the cache never looks inside


def test_the_cache_is_keyed_by_execution_and_version_bounded_and_forgets_idle_sessions() -> None:
    from devhost.durable.sessions import Sessions

    clock = _Clock()
    cache = Sessions(max_sessions=2, idle_seconds=30, clock=clock)
    a = _session()
    cache.keep("a", a, "ex1", 3)
    assert cache.take("a", "ex1", 2) is None  # another version: replay, and the stale one is gone
    assert cache.take("a", "ex1", 3) is None
    cache.keep("a", a, "ex1", 3)
    assert cache.take("a", "ex2", 3) is None  # another execution (continue-as-new, restart)
    cache.keep("a", a, "ex1", 3)
    assert cache.take("a", "ex1", 3) is a
    for name in ("a", "b", "c"):
        cache.keep(name, _session(), "ex", 1)
    assert len(cache) == 2 and cache.take("a", "ex", 1) is None  # the oldest went past the bound
    clock.now = 31.0
    assert cache.take("b", "ex", 1) is None  # idle longer than the timeout
    cache.keep("d", _session(), "ex", 1)
    assert len(cache) == 1  # keeping sweeps the idle ones out


def test_off_keeps_nothing() -> None:
    from devhost.durable.sessions import Sessions

    cache = Sessions(max_sessions=0)
    cache.keep("a", _session(), "ex", 1)
    assert len(cache) == 0 and cache.take("a", "ex", 1) is None
