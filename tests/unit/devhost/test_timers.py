"""Timer triggers: run_on_startup, past_due after downtime, and the schedule actually firing."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import azure.functions as func

from devhost.index import FunctionIndex
from devhost.invoker import Invoker
from devhost.timers import Timers, TimerState, _now, resolve_schedule


def _app(calls: list[bool], schedule: str, run_on_startup: bool = False) -> func.FunctionApp:
    app = func.FunctionApp()

    @app.timer_trigger(arg_name="timer", schedule=schedule, run_on_startup=run_on_startup)
    def job(timer: func.TimerRequest) -> None:
        calls.append(timer.past_due)

    return app


async def _run_for(app: func.FunctionApp, data_dir: Path, seconds: float) -> None:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(2) as pool:
        timers = Timers(list(FunctionIndex.from_app(app)), Invoker(loop, pool), data_dir)
        await timers.start()
        await asyncio.sleep(seconds)
        await timers.stop(grace_seconds=2)


async def _run_until(
    app: func.FunctionApp,
    data_dir: Path,
    until: Callable[[], bool],
    *,
    settle: float = 0.0,
    timeout: float = 15.0,
) -> float:
    """Run the timers until `until()` holds (then `settle` seconds more, to catch extra runs);
    returns the seconds they ran. Fails if `until()` never holds: a slow machine only waits longer."""
    loop = asyncio.get_running_loop()
    started = time.monotonic()
    with ThreadPoolExecutor(2) as pool:
        timers = Timers(list(FunctionIndex.from_app(app)), Invoker(loop, pool), data_dir)
        await timers.start()
        deadline = started + timeout
        while not (reached := until()) and time.monotonic() < deadline:
            await asyncio.sleep(0.02)
        if reached:
            await asyncio.sleep(settle)
        await timers.stop(grace_seconds=2)
    assert reached, f"condition not reached within {timeout:g}s"
    return time.monotonic() - started


def test_fires_on_schedule_and_records_the_last_occurrence(tmp_path: Path) -> None:
    calls: list[bool] = []
    started = _now()
    ran = asyncio.run(_run_until(_app(calls, "* * * * * *"), tmp_path, lambda: len(calls) >= 2))
    # Every second: at most one run per whole second the timers were up, none past due.
    assert 2 <= len(calls) <= int(ran) + 1 and not any(calls)
    last = TimerState(tmp_path / "devhost.db").last("job")
    assert last is not None and started <= last <= _now()


def test_run_on_startup_fires_at_once_not_past_due(tmp_path: Path) -> None:
    calls: list[bool] = []
    asyncio.run(
        _run_until(
            _app(calls, "0 0 0 1 Jan *", run_on_startup=True), tmp_path, lambda: bool(calls), settle=0.3
        )
    )
    assert calls == [False]


def test_missed_occurrence_while_down_fires_once_past_due(tmp_path: Path) -> None:
    TimerState(tmp_path / "devhost.db").save("job", _now() - timedelta(hours=3))
    calls: list[bool] = []
    # Hourly: 2-3 missed, fired once.
    asyncio.run(_run_until(_app(calls, "0 0 * * * *"), tmp_path, lambda: bool(calls), settle=0.3))
    assert calls == [True]


def test_nothing_missed_means_no_startup_run(tmp_path: Path) -> None:
    TimerState(tmp_path / "devhost.db").save("job", _now())
    calls: list[bool] = []
    asyncio.run(_run_for(_app(calls, "0 0 * * * *"), tmp_path, 0.3))
    assert calls == []


def test_failing_timer_keeps_its_schedule(tmp_path: Path) -> None:
    app = func.FunctionApp()
    calls: list[datetime] = []

    @app.timer_trigger(arg_name="timer", schedule="* * * * * *")
    def job(timer: func.TimerRequest) -> None:
        calls.append(_now())
        raise RuntimeError("boom")

    asyncio.run(_run_until(app, tmp_path, lambda: len(calls) >= 2))  # fails if it stopped after one
    assert len(calls) >= 2


def test_schedule_may_name_an_app_setting(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MY_SCHEDULE", "0 */5 * * * *")
    assert resolve_schedule("%MY_SCHEDULE%") == "0 */5 * * * *"
    assert resolve_schedule("0 * * * * *") == "0 * * * * *"
