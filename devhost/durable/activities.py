"""Running activities: claim leased `work` messages, call the activity, and commit its result as
an event for the instance together with the removal of the message (one transaction).

A crash between the call and the commit leaves the message leased by a dead owner; the next
start releases it and the activity runs again: at least once, hence the idempotency key.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Awaitable, Callable
from typing import Any

from devhost.durable import events as ev
from devhost.durable import messages
from devhost.durable.context import ActivityContext, current_activity
from devhost.durable.store import Message, Store

log = logging.getLogger("devhost.durable")
ActivityFn = Callable[[str | None], Awaitable[str | None]]


class ActivityRunner:
    def __init__(
        self,
        store: Store,
        owner: str,
        activities: dict[str, ActivityFn],
        *,
        max_concurrent: int,
        lease_seconds: float,
        poll_seconds: float,
        on_result: Callable[[str], None],
    ) -> None:
        self.store, self.owner, self.activities = store, owner, activities
        self.max_concurrent, self.lease_seconds, self.poll_seconds = (
            max_concurrent,
            lease_seconds,
            poll_seconds,
        )
        self.on_result = on_result  # wakes whoever runs the instance's episodes
        self.wake = asyncio.Event()
        self.tasks: set[asyncio.Task[None]] = set()
        self.stopping = False

    async def loop(self) -> None:
        while not self.stopping:
            self.wake.clear()
            room = self.max_concurrent - len(self.tasks)
            try:
                claimed = (
                    messages.claim_work(self.store, self.owner, time.time(), self.lease_seconds, room)
                    if room > 0
                    else []
                )
            except sqlite3.Error:
                log.exception("durable: claiming activities failed; retrying")
                await asyncio.sleep(1.0)
                continue
            for msg in claimed:
                task = asyncio.create_task(self._run(msg))
                self.tasks.add(task)
                task.add_done_callback(self.tasks.discard)
            if not claimed:
                await idle(self.store, self.wake, "work", self.poll_seconds)

    async def _run(self, msg: Message) -> None:
        p = msg.payload
        task_id, info = int(p["task_id"]), p["retry"]
        fn = self.activities.get(p["name"])
        token = current_activity.set(
            ActivityContext(msg.instance_id, p["name"], info["key"], info["attempt"])
        )
        payload: dict[str, Any]
        try:
            if fn is None:
                raise LookupError(f"The activity function '{p['name']}' is not registered.")
            payload = {"event": ev.task_completed(_now(), task_id, await fn(p["input"]))}
        except Exception as exc:
            # Azure's wording; the orchestrator sees Exception(f"{Reason} \n {Details}").
            reason = f"Activity function '{p['name']}' failed: {type(exc).__name__}: {exc}"
            payload = {"event": ev.task_failed(_now(), task_id, reason, type(exc).__name__)}
            if info["max_attempts"] > 1:
                payload["retry_failed"] = info
        finally:
            current_activity.reset(token)
        try:
            with self.store.transaction() as db:
                if messages.finish_work(db, msg.id, self.owner) and accepts(
                    db, msg.instance_id, msg.execution_id
                ):
                    messages.enqueue(db, "orch", msg.instance_id, msg.execution_id, payload, time.time())
        except sqlite3.Error:  # the lease stays ours until it expires; then the activity runs again
            log.exception("durable: recording the result of %s failed", p["name"])
        self.on_result(msg.instance_id)
        self.wake.set()  # a slot is free

    async def stop(self) -> None:
        self.stopping = True
        self.wake.set()
        for task in list(self.tasks):
            task.cancel()
        for task in list(self.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def accepts(db: sqlite3.Connection, instance_id: str, execution_id: str | None) -> bool:
    """Whether an event for this instance (and execution) should still be delivered."""
    row = db.execute(
        "SELECT status, execution_id FROM instances WHERE instance_id = ?", (instance_id,)
    ).fetchone()
    if row is None or row[0] in ("Completed", "Failed", "Terminated"):
        return False
    return execution_id is None or row[1] == execution_id


async def idle(
    store: Store,
    wake: asyncio.Event,
    kind: str,
    poll_seconds: float,
    partitions: tuple[list[int], int] | None = None,
) -> None:
    """Sleep until woken, the next message of `kind` (in the partitions we serve) is due, or the
    poll interval passes (other processes may enqueue). Due work we could not take (locked
    elsewhere) is retried shortly."""
    due = messages.next_visible_at(store.db, kind, partitions)
    delay = poll_seconds if due is None else min(poll_seconds, max(0.01, due - time.time()))
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(wake.wait(), timeout=delay)


def _now() -> str:
    return ev.fmt_epoch(time.time())
