"""What the engine tells a running activity about itself.

Activities run at least once (a crash between running one and committing its result re-runs
it), so they must be idempotent. The contract the product code relies on is the orchestrator
passing a key in the activity input (e.g. `f"{context.instance_id}:{step}"`), which works the same
on Azure. devhost additionally exposes the engine's own key, `"{instance}:{generation}:{first
task id}"`, stable across redeliveries and retries of the same call, through a contextvar; it is
set while the activity runs (and copied into worker threads by `asyncio.to_thread`).
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class ActivityContext:
    instance_id: str
    name: str
    idempotency_key: str
    attempt: int


current_activity: ContextVar[ActivityContext | None] = ContextVar("devhost_durable_activity", default=None)


def current_idempotency_key() -> str | None:
    """The engine's key for the activity running in this context, or None outside devhost."""
    ctx = current_activity.get()
    return ctx.idempotency_key if ctx else None
