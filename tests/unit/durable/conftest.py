"""Run the durable engine in-process over the sample app (tests/e2e/apps/durable_app.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from devhost.durable import registry
from devhost.durable.engine import Engine
from devhost.index import FunctionIndex
from tests.e2e.apps import durable_app

# app.get_functions() may be called only once per app object.
INDEX = FunctionIndex.from_app(durable_app.app)
ORCHESTRATORS, ACTIVITIES = registry.build(INDEX)

T = TypeVar("T")
Scenario = Callable[[Engine], Awaitable[T]]


@pytest.fixture(autouse=True)
def test_state(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    state = tmp_path / "state.db"
    monkeypatch.setenv("DURABLE_TEST_STATE", str(state))
    durable_app.FLIP["on"] = False
    yield state
    durable_app.FLIP["on"] = False


async def with_engine(db: Path, scenario: Scenario[T], **options: Any) -> T:
    engine = Engine(db, ORCHESTRATORS, ACTIVITIES, poll_seconds=0.05, **options)
    await engine.start()
    try:
        return await scenario(engine)
    finally:
        await engine.stop()


@pytest.fixture
def run(tmp_path: Path) -> Callable[..., Any]:
    """`run(scenario)` starts an engine on a fresh durable.db, runs `await scenario(engine)`, stops it."""

    def runner(scenario: Scenario[T], db: Path | None = None, timeout: float = 30.0, **options: Any) -> T:
        coro = with_engine(db or tmp_path / "durable.db", scenario, **options)
        return asyncio.run(asyncio.wait_for(coro, timeout))

    return runner
