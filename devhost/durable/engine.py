"""The durable engine: two loops over the SQLite queue, one running orchestration episodes and one
running activities. It knows nothing of HTTP or of devhost: it takes orchestrator handles
(`handle(context_json) -> state_json`) and activity callables (`await fn(input_json) -> result_json`),
so it can be driven directly in tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sqlite3
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from devhost.durable import messages
from devhost.durable import operations as ops
from devhost.durable.activities import ActivityFn, ActivityRunner, accepts, idle
from devhost.durable.episode import Handle, Outcome, run_episode, select_batch
from devhost.durable.partitions import Partitions
from devhost.durable.sessions import DEFAULT_IDLE_SECONDS, DEFAULT_MAX_SESSIONS, Sessions
from devhost.durable.status import status_document
from devhost.durable.store import Store

__all__ = ["ActivityFn", "Engine", "EngineStats"]
log = logging.getLogger("devhost.durable")


@dataclass
class EngineStats:
    episodes: int = 0
    events: int = 0
    handle_seconds: float = 0.0  # inside the SDK's replay (`handle`)
    episode_seconds: float = 0.0  # whole episodes: reads, replay, diff and the commit

    @property
    def engine_seconds(self) -> float:
        return self.episode_seconds - self.handle_seconds


class _Lost(Exception):
    """The instance row changed under a running episode (terminated, or another process)."""


class Engine:
    def __init__(
        self,
        db_path: Path,
        orchestrators: Mapping[str, Handle],
        activities: Mapping[str, ActivityFn],
        *,
        max_activities: int = 64,
        lease_seconds: float = 600.0,
        lock_seconds: float = 60.0,
        poll_seconds: float = 0.5,
        extended_sessions: bool = False,
        session_idle_seconds: float = DEFAULT_IDLE_SECONDS,
        worker_index: int = 0,
        worker_count: int = 1,
    ) -> None:
        self.store = Store(db_path)
        # With several devhost worker processes, this engine runs the episodes of its partition
        # (and of any partition whose worker is gone); devhost/durable/partitions.py.
        self.partitions = (
            Partitions(db_path, worker_index, worker_count, probe_seconds=poll_seconds)
            if worker_count > 1
            else None
        )
        self.orchestrators = dict(orchestrators)
        self.activities = dict(activities)
        self.lock_seconds, self.poll_seconds = lock_seconds, poll_seconds
        self.owner = messages.new_owner()
        self.stats = EngineStats()
        # host.json's extendedSessionsEnabled: SDK state kept between an instance's episodes
        # (devhost/durable/sessions.py). Off by default, as on Azure: without it every episode
        # replays, which catches orchestrator code that is not deterministic.
        self.sessions = Sessions(
            max_sessions=DEFAULT_MAX_SESSIONS if extended_sessions else 0, idle_seconds=session_idle_seconds
        )
        self._wake_orch = asyncio.Event()
        self.runner = ActivityRunner(
            self.store,
            self.owner,
            self.activities,
            max_concurrent=max_activities,
            lease_seconds=lease_seconds,
            poll_seconds=poll_seconds,
            on_result=self._event_for,
        )
        self._loops: list[asyncio.Task[None]] = []
        self._stopping = False
        self._backoff: dict[str, float] = {}  # instance -> retry time, after an unexpected error
        # Called with (instance_id, status) when this engine finishes an instance (benchmarks).
        self.on_finished: Callable[[str, str], None] | None = None

    # --- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        if self.partitions is not None:
            self.partitions.acquire()
            self.partitions.listen(asyncio.get_running_loop(), self._wake_orch)
        released = messages.release_dead_owners(self.store, self.owner)
        running = len(self.store.list_instances(statuses=["Pending", "Running"]))
        if released or running:
            log.info("durable: resuming %d instance(s); released %d dead owner(s)", running, released)
        self._loops = [
            asyncio.create_task(self._orchestration_loop()),
            asyncio.create_task(self.runner.loop()),
        ]

    async def stop(self) -> None:
        self._stopping = True
        self._wake_orch.set()
        await self.runner.stop()
        for task in self._loops:
            task.cancel()
        for task in self._loops:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        messages.forget_owner(self.owner)
        self.sessions.clear()
        if self.partitions is not None:
            self.partitions.close(asyncio.get_running_loop())
        self.store.close()

    # --- client operations ------------------------------------------------------------------
    def start_new(self, name: str, instance_id: str | None = None, input_json: str | None = None) -> str:
        if name not in self.orchestrators:
            raise LookupError(
                f"The function '{name}' doesn't exist, is disabled, or is not an orchestrator function."
            )
        outcome, iid = ops.start_new(self.store, name, instance_id, input_json)
        if outcome is ops.Outcome.CONFLICT:
            raise FileExistsError(f"An instance with ID '{iid}' already exists and is not finished.")
        self._event_for(iid)
        return iid

    def raise_event(self, instance_id: str, name: str, data_json: str | None) -> ops.Outcome:
        result = ops.raise_event(self.store, instance_id, name, data_json)
        self._event_for(instance_id)
        return result

    def terminate(self, instance_id: str, reason: str) -> ops.Outcome:
        result = ops.terminate(self.store, instance_id, reason)
        if self.partitions is not None:
            self.partitions.notify(instance_id)  # its owner drops a kept session at once
        return result

    def _event_for(self, instance_id: str) -> None:
        """An event was enqueued for `instance_id`: wake whoever runs its episodes."""
        if self.partitions is None or self.partitions.notify(instance_id):
            self._wake_orch.set()

    def _served(self) -> tuple[list[int], int] | None:
        if self.partitions is None:
            return None
        served = self.partitions.served()
        if self.partitions.took_over():
            # The dead worker's row locks and activity leases go back now, not when they expire.
            released = messages.release_dead_owners(self.store, self.owner)
            if released:
                log.info("durable: released %d dead worker owner(s)", released)
        return served, self.partitions.count

    def purge(self, instance_id: str) -> int:
        return ops.purge(self.store, instance_id)

    def status(
        self, instance_id: str, show_history: bool = False, show_history_output: bool = False
    ) -> dict[str, Any] | None:
        inst = self.store.get(instance_id)
        if inst is None:
            return None
        history = self.store.history(instance_id, sdk_only=False) if show_history else None
        return status_document(inst, history, show_history_output=show_history_output)

    async def wait(self, instance_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """Poll until the instance finishes (tests, benchmarks); TimeoutError with its status."""
        deadline = time.monotonic() + timeout
        while True:
            doc = self.status(instance_id)
            if doc is not None and doc["runtimeStatus"] in ("Completed", "Failed", "Terminated"):
                return doc
            if time.monotonic() > deadline:
                raise TimeoutError(f"instance {instance_id} did not finish in {timeout}s: {doc}")
            await asyncio.sleep(0.01)

    # --- orchestrations ---------------------------------------------------------------------
    async def _orchestration_loop(self) -> None:
        while not self._stopping:
            self._wake_orch.clear()
            now = time.time()
            try:
                ready = messages.ready_instances(self.store.db, now, limit=64, partitions=self._served())
            except sqlite3.Error:  # e.g. locked by another process past the busy timeout
                log.exception("durable: reading the queue failed; retrying")
                await asyncio.sleep(1.0)
                continue
            ids = [i for i in ready if self._backoff.get(i, 0) <= now]
            for instance_id in ids:
                if self._stopping:
                    return
                try:
                    self.run_one(instance_id)
                    self._backoff.pop(instance_id, None)
                except Exception:  # a bug here must not stop every other instance, nor spin
                    log.exception("durable: episode for %s failed; retrying in 5 s", instance_id)
                    self._backoff[instance_id] = time.time() + 5.0
                await asyncio.sleep(0)
            if not ids:
                await idle(self.store, self._wake_orch, "orch", self.poll_seconds, self._served())

    def run_one(self, instance_id: str) -> bool:
        """Run one episode for `instance_id` if it has events waiting; True if one committed."""
        began = time.perf_counter()
        now = time.time()
        if not self.store.lock(instance_id, self.owner, now, self.lock_seconds):
            return False
        committed = False
        try:
            inst = self.store.get(instance_id)
            inbox = messages.inbox(self.store.db, instance_id, now)
            if inst is None:
                return False
            stale = [
                m for m in inbox if inst.is_terminal or (m.execution_id not in (None, inst.execution_id))
            ]
            stale_ids = {m.id for m in stale}
            live = [m for m in inbox if m.id not in stale_ids]
            if not live:
                with self.store.transaction() as db:
                    messages.delete(db, [m.id for m in stale])
                if inst.is_terminal:
                    self.sessions.drop(instance_id)  # e.g. terminated while it waited
                return False
            # A kept session already holds the history's effect: no history read, no full replay.
            session = self.sessions.take(instance_id, inst.execution_id, inst.version)
            history = [] if session is not None else self.store.history(instance_id, sdk_only=True)
            batch = select_batch(live, has_history=session is not None or bool(history))
            handle = self.orchestrators.get(inst.name) or _missing(inst.name)
            outcome = run_episode(inst, history, batch, handle, now, session)
            self._commit(outcome, [m.id for m in stale], inst.version)
            committed = True  # the commit cleared the lock with the row: no second write needed
            if outcome.session is not None:  # only after the commit: the state is now the row's
                done = outcome.instance
                self.sessions.keep(instance_id, outcome.session, done.execution_id, done.version)
        except _Lost:
            return False
        finally:
            if not committed:
                self.store.unlock(instance_id, self.owner)
        if self.on_finished is not None and outcome.instance.is_terminal:
            self.on_finished(instance_id, outcome.instance.status)
        if outcome.failure:
            log.error("durable: orchestration %s failed: %s", instance_id, outcome.failure)
        self.stats.episodes += 1
        self.stats.events += len(batch)
        self.stats.handle_seconds += outcome.handle_seconds
        self.stats.episode_seconds += time.perf_counter() - began
        return True

    def _commit(self, out: Outcome, stale: list[int], version: int) -> None:
        inst = out.instance
        try:
            with self.store.transaction() as db:
                if not self.store.update_instance(db, inst, version):
                    raise _Lost
                messages.delete(db, out.consumed + stale)
                if out.clear_history:
                    self.store.clear_history(db, inst.instance_id)
                else:
                    self.store.append_history(db, inst.instance_id, out.history)
                if out.drop_pending:
                    messages.drop_execution(db, inst.instance_id, keep_events=not inst.is_terminal)
                messages.delete_timers(db, inst.instance_id, out.cancelled_timers)
                for child in out.children:
                    self.store.delete_instance(db, child.instance_id)
                    self.store.insert_instance(db, child)
                for msg in out.messages:
                    if msg.instance_id == inst.instance_id and inst.is_terminal:
                        continue  # e.g. a timer created in the very episode that completed
                    if msg.instance_id != inst.instance_id and not accepts(
                        db, msg.instance_id, msg.execution_id
                    ):
                        continue  # e.g. the parent was terminated meanwhile
                    messages.enqueue(
                        db,
                        msg.kind,
                        msg.instance_id,
                        msg.execution_id,
                        msg.payload,
                        msg.visible_at,
                        msg.task_id,
                    )
        except _Lost:
            log.info("durable: %s changed during its episode; results dropped", inst.instance_id)
            raise
        if any(m.kind == "work" for m in out.messages):
            self.runner.wake.set()
        if self.partitions is not None:  # e.g. a sub-orchestration, or the parent's completion
            for other in {m.instance_id for m in out.messages if m.kind == "orch"} - {inst.instance_id}:
                self.partitions.notify(other)
        self._wake_orch.set()


def _missing(name: str) -> Handle:
    def handle(_: str) -> str:
        raise LookupError(f"orchestrator function '{name}' is not registered in this app")

    return handle
