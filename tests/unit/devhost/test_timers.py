"""Timer triggers: run_on_startup, past_due after downtime, and the schedule actually firing."""

from __future__ import annotations

import asyncio
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


def test_fires_on_schedule_and_records_the_last_occurrence(tmp_path: Path) -> None:
    calls: list[bool] = []
    asyncio.run(_run_for(_app(calls, "* * * * * *"), tmp_path, 2.3))
    assert 2 <= len(calls) <= 3 and not any(calls)
    last = TimerState(tmp_path / "devhost.db").last("job")
    assert last is not None and abs((_now() - last).total_seconds()) < 2


def test_run_on_startup_fires_at_once_not_past_due(tmp_path: Path) -> None:
    calls: list[bool] = []
    asyncio.run(_run_for(_app(calls, "0 0 0 1 Jan *", run_on_startup=True), tmp_path, 0.3))
    assert calls == [False]


def test_missed_occurrence_while_down_fires_once_past_due(tmp_path: Path) -> None:
    TimerState(tmp_path / "devhost.db").save("job", _now() - timedelta(hours=3))
    calls: list[bool] = []
    asyncio.run(_run_for(_app(calls, "0 0 * * * *"), tmp_path, 0.3))  # hourly: 2-3 missed, fired once
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

    asyncio.run(_run_for(app, tmp_path, 2.3))
    assert len(calls) >= 2


def test_schedule_may_name_an_app_setting(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MY_SCHEDULE", "0 */5 * * * *")
    assert resolve_schedule("%MY_SCHEDULE%") == "0 */5 * * * *"
    assert resolve_schedule("0 * * * * *") == "0 * * * * *"
