"""Timer triggers: NCRONTAB schedules in UTC, run_on_startup, and past_due after downtime.

The last fired occurrence of each timer is kept in `<data-dir>/devhost.db`; on start, if the
occurrence after it is already in the past (devhost was down over it), the timer fires once with
`past_due=True`, like the real host's schedule monitor. One run at a time per timer.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import sqlite3
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from azure.functions.timer import TimerRequest

from devhost import ncrontab
from devhost.index import TIMER, FunctionInfo
from devhost.invoker import Invoker

log = logging.getLogger("devhost.timers")

LATE_TOLERANCE = timedelta(seconds=1)  # a wake-up this late is still "on time"
_SETTING_REF = re.compile(r"^%([^%]+)%$")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def resolve_schedule(expression: str) -> str:
    """`%NAME%` refers to an app setting, as in the real host."""
    m = _SETTING_REF.match(expression.strip())
    if not m:
        return expression
    value = os.environ.get(m.group(1))
    if not value:
        raise ncrontab.ScheduleError(f"schedule setting {m.group(1)} is not set")
    return value


class TimerState:
    def __init__(self, path: Path) -> None:
        self.path = path
        with contextlib.closing(self._db()) as db, db:
            db.execute(
                "CREATE TABLE IF NOT EXISTS timer_runs (name TEXT PRIMARY KEY, last_occurrence REAL NOT NULL)"
            )

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30.0)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    def last(self, name: str) -> datetime | None:
        with contextlib.closing(self._db()) as db:
            row = db.execute("SELECT last_occurrence FROM timer_runs WHERE name=?", (name,)).fetchone()
        return datetime.fromtimestamp(row[0], UTC).replace(tzinfo=None) if row else None

    def save(self, name: str, occurrence: datetime) -> None:
        with contextlib.closing(self._db()) as db, db:
            db.execute(
                "INSERT OR REPLACE INTO timer_runs VALUES (?, ?)",
                (name, occurrence.replace(tzinfo=UTC).timestamp()),
            )


class Timers:
    def __init__(self, functions: list[FunctionInfo], invoker: Invoker, data_dir: Path) -> None:
        self.functions = [f for f in functions if f.trigger_type == TIMER]
        self.invoker = invoker
        self.state = TimerState(data_dir / "devhost.db")
        self.schedules = {
            f.name: ncrontab.parse(resolve_schedule(str(f.trigger.schedule))) for f in self.functions
        }
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run(f), name=f"timer:{f.name}") for f in self.functions]

    async def _sleep_until(self, when: datetime) -> bool:
        """False if stopping."""
        delay = (when - _now()).total_seconds()
        if delay > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stop.wait(), delay)
        return not self._stop.is_set()

    async def _run(self, fn: FunctionInfo) -> None:
        schedule = self.schedules[fn.name]
        loop = asyncio.get_running_loop()
        last = await loop.run_in_executor(None, self.state.last, fn.name)
        now = _now()
        missed = last is not None and schedule.next_after(last) < now - LATE_TOLERANCE
        if missed or getattr(fn.trigger, "run_on_startup", False):
            await self._fire(fn, past_due=missed, occurrence=now)
        while not self._stop.is_set():
            occurrence = schedule.next_after(_now())
            if not await self._sleep_until(occurrence):
                return
            await self._fire(fn, past_due=_now() - occurrence > LATE_TOLERANCE, occurrence=occurrence)

    async def _fire(self, fn: FunctionInfo, *, past_due: bool, occurrence: datetime) -> None:
        start = time.perf_counter()
        schedule = self.schedules[fn.name]
        request = TimerRequest(
            past_due=past_due,
            schedule={"AdjustForDST": True},
            schedule_status={
                "Last": occurrence.isoformat(),
                "Next": schedule.next_after(occurrence).isoformat(),
                "LastUpdated": _now().isoformat(),
            },
        )
        outcome = "ok"
        try:
            await self.invoker.invoke(fn, **{fn.param_name: request})
        except Exception:
            outcome = "failed"
            log.exception("timer function %s failed", fn.name)
        await asyncio.get_running_loop().run_in_executor(None, self.state.save, fn.name, occurrence)
        log.info(
            "timer %s outcome=%s past_due=%s duration_ms=%.1f",
            fn.name,
            outcome,
            past_due,
            (time.perf_counter() - start) * 1000,
        )

    async def stop(self, grace_seconds: float) -> None:
        self._stop.set()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=grace_seconds)
        for t in self._tasks:
            t.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
