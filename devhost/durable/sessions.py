"""Extended sessions: keep an orchestration's SDK state in memory between its episodes.

Without them every episode rebuilds the SDK's context from the whole history (JSON, one
`HistoryEvent` per event) and replays the generator from its first line; an order's 7 episodes
replay 1 + 2 + ... events, and that replay was the largest single cost of an order in devhost
(docs/performance.md). The SDK's replay is a left fold over the history
(`TaskOrchestrationExecutor.execute` is `process_event` per event), so the executor left by one
episode, fed only the next episode's new events, reaches the state a full replay would: the
same actions, custom status and output. This is what Azure's extended sessions do for in-process
apps.

A session is only a cache. It is keyed by the instance's execution id and row version after the
commit of the episode that produced it, so anything else that touches the instance (terminate,
another devhost process on the same data dir, a restart of this one, continue-as-new) makes the
next episode miss and replay in full, as before. It is stored only after a successful commit and
taken out of the cache while an episode runs, so an episode whose results were dropped never
leaves a half-advanced generator behind.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from azure.durable_functions.models.DurableOrchestrationContext import DurableOrchestrationContext
from azure.durable_functions.models.history.HistoryEvent import HistoryEvent
from azure.durable_functions.models.TaskOrchestrationExecutor import TaskOrchestrationExecutor

DEFAULT_MAX_SESSIONS = 1024  # instances in flight kept warm; beyond that the oldest replay again
DEFAULT_IDLE_SECONDS = 30.0  # host.json extendedSessionIdleTimeoutInSeconds (Azure's default)


@dataclass
class Session:
    executor: TaskOrchestrationExecutor
    context: DurableOrchestrationContext
    execution_id: str = ""
    version: int = -1  # the instance row's version this state belongs to
    kept_at: float = 0.0  # monotonic time it was last kept

    def advance(self, new_events: list[dict[str, Any]]) -> str:
        """Feed one episode's new events (OrchestratorStarted first); the SDK's state JSON, or the
        SDK's exception exactly as `handle` raises it (the orchestrator failed)."""
        events = [HistoryEvent(**e) for e in new_events]
        self.context.histories.extend(events)  # as a full replay would have them
        executor = self.executor
        executor._is_processing_new_events = True  # these events are not replays
        for event in events:
            executor.process_event(event)
            if executor.has_execution_completed:
                break
        return str(executor.get_orchestrator_state_str())


def supports_sessions(handle: Any) -> bool:
    """Handles made by the SDK's decorator (`Orchestrator.create`) carry the generator function;
    hand-written handles (tests) are replayed the plain way."""
    return callable(getattr(handle, "orchestrator_function", None))


def start(handle: Any, context_json: str) -> tuple[Session, str]:
    """What the SDK's `handle` does (`Orchestrator.create`), keeping the executor: a full replay."""
    context = DurableOrchestrationContext.from_json(context_json)
    context._input_expected_type = getattr(handle, "_df_input_type", None)
    executor = TaskOrchestrationExecutor()
    session = Session(executor, context)
    return session, str(executor.execute(context, context.histories, handle.orchestrator_function))


class Sessions:
    """Bounded map instance id -> session, least recently used out first; a session idle longer
    than `idle_seconds` is dropped (an orchestration waiting hours for a review or a timer
    holds no memory meanwhile, and replays when it resumes)."""

    def __init__(
        self,
        max_sessions: int = DEFAULT_MAX_SESSIONS,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_sessions, self.idle_seconds, self._clock = max_sessions, idle_seconds, clock
        self._live: OrderedDict[str, Session] = OrderedDict()
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._live)

    def take(self, instance_id: str, execution_id: str, version: int) -> Session | None:
        """The session for exactly this state of the instance, removed from the cache (it is put
        back after the episode commits), or None: replay in full."""
        session = self._live.pop(instance_id, None)
        fresh = session is not None and self._clock() - session.kept_at <= self.idle_seconds
        if (
            session is not None
            and fresh
            and session.execution_id == execution_id
            and session.version == version
        ):
            self.hits += 1
            return session
        self.misses += 1
        return None

    def keep(self, instance_id: str, session: Session, execution_id: str, version: int) -> None:
        if self.max_sessions <= 0:  # extended sessions off
            return
        now = self._clock()
        session.execution_id, session.version, session.kept_at = execution_id, version, now
        self._live[instance_id] = session
        self._live.move_to_end(instance_id)
        while self._live:  # oldest first: drop past the bound or idle too long
            oldest = next(iter(self._live.values()))
            if len(self._live) <= self.max_sessions and now - oldest.kept_at <= self.idle_seconds:
                break
            self._live.popitem(last=False)

    def drop(self, instance_id: str) -> None:
        self._live.pop(instance_id, None)

    def clear(self) -> None:
        self._live.clear()
