"""The one optimistic-concurrency loop: read -> decide -> conditional write -> again on a lost race.

Every context writes state the same way: read the document (and its ETag), decide, write on the
condition that nobody wrote since (`if_match`, `create` of a new id, a transactional batch). A lost
race is not an error, it means "read again and decide again". `retry_on_conflict` owns that loop,
its bound and its backoff, so no context writes its own `for _ in range(N)` around a write.

The step (`read_decide_write`) returns the result, raises a write conflict (or one of the
caller's own `conflicts`, e.g. a ledger's "someone appended first"), or raises `TryAgain` when it
saw by other means that it lost (a claim whose conditional write went to another caller).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from shared.ports.documents import BatchFailed, DocumentExists, ETagMismatch

T = TypeVar("T")

MAX_ATTEMPTS = 200
# The store's answers to a conditional write that lost: re-read and decide again.
WRITE_CONFLICTS: tuple[type[BaseException], ...] = (BatchFailed, ETagMismatch, DocumentExists)


class Contended(Exception):
    """A conditional write kept losing to concurrent writers (bounded retries exhausted)."""


class TryAgain(Exception):
    """Raised by a step that found it lost a race without a store error: read and decide again."""


def is_write_conflict(exc: BaseException) -> bool:
    """A lost optimistic-concurrency race: the caller re-reads and decides again."""
    if isinstance(exc, BatchFailed):
        exc = exc.cause
    return isinstance(exc, ETagMismatch | DocumentExists)


def _backoff(attempt: int, took: float) -> None:
    # Jittered, and scaled with how long an attempt took: 40 writers on one document converge
    # instead of live-locking, and a slow store (more writers in flight) backs off more.
    time.sleep(random.uniform(0, min(1.0, max(0.001, took) * 2 ** min(attempt, 3))))


def retry_on_conflict(
    read_decide_write: Callable[[], T],
    *,
    attempts: int = MAX_ATTEMPTS,
    backoff: bool = True,
    conflicts: tuple[type[BaseException], ...] = WRITE_CONFLICTS,
    exhausted: Callable[[], T] | None = None,
) -> T:
    """Run `read_decide_write` until it returns. A write conflict (or a `conflicts` exception, or
    `TryAgain`) runs it again, after a jittered pause when `backoff`; any other exception
    propagates. After `attempts` lost rounds: `exhausted()` when given (the caller's own answer,
    e.g. a 409 or the latest state), else `Contended`."""
    for n in range(attempts):
        started = time.monotonic()
        try:
            return read_decide_write()
        except TryAgain:
            pass
        except conflicts as exc:
            if isinstance(exc, BatchFailed) and not is_write_conflict(exc):
                raise
        if backoff:
            _backoff(n, time.monotonic() - started)
    if exhausted is not None:
        return exhausted()
    raise Contended(f"gave up after {attempts} conflicting writes")
