"""The function thread pool: a ThreadPoolExecutor whose invoker calls skip concurrent.futures.Future.

The invoker hands each sync function's result to the loop itself (devhost/invoker.py,
`_Completions`), so the Future that `submit` makes for every call is only built, locked, set and
thrown away: a Condition (with its RLock) to create, `set_running_or_notify_cancel` and
`set_result` each taking it and notifying, about a tenth of the hop's CPU. `post` queues a bare
call on the same work queue instead; the executor's threads, their lazy start, the idle count,
`max_workers` and `shutdown` are the standard library's, and `submit` (run_in_executor, the
periodic services) works as before.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import thread as _thread

log = logging.getLogger("devhost")

# The Python worker's app setting for its sync-function pool size (azure_functions_runtime,
# utils/threadpool.py): a whole number >= 1, anything else is warned about and ignored.
THREAD_COUNT_SETTING = "PYTHON_THREADPOOL_THREAD_COUNT"
DEFAULT_THREAD_COUNT = 32


def thread_count(environ: Mapping[str, str] | None = None) -> int:
    """The function pool's size: PYTHON_THREADPOOL_THREAD_COUNT when it is set and valid."""
    text = (environ if environ is not None else os.environ).get(THREAD_COUNT_SETTING, "").strip()
    if not text:
        return DEFAULT_THREAD_COUNT
    if not text.isdigit() or int(text) < 1:
        log.warning(
            "%s must be a whole number of at least 1, not %r; using %d",
            THREAD_COUNT_SETTING,
            text,
            DEFAULT_THREAD_COUNT,
        )
        return DEFAULT_THREAD_COUNT
    return int(text)


class PostedCall:
    """A queued call. The worker runs `run()`; a shutdown with cancel_futures calls
    `future.cancel()` on what is still queued, so the call is its own "future"."""

    __slots__ = ("_fn", "cancelled")

    def __init__(self, fn: Callable[[], None]) -> None:
        self._fn = fn
        self.cancelled = False

    @property
    def future(self) -> PostedCall:
        return self

    def cancel(self) -> bool:
        """Keep the call from starting (no effect once it has: as Future.cancel, it cannot stop a
        running call; a call that races with this one may still run, and its result is dropped by
        the cancelled caller)."""
        self.cancelled = True
        return True

    def run(self) -> None:
        if not self.cancelled:
            self._fn()


class FunctionPool(ThreadPoolExecutor):
    def post(self, fn: Callable[[], None]) -> PostedCall:
        """Run `fn()` on a pool thread; it must not raise (the invoker's wrapper catches
        everything and delivers it). The same checks as `submit`."""
        call = PostedCall(fn)
        with self._shutdown_lock, _thread._global_shutdown_lock:
            if self._broken:
                raise _thread.BrokenThreadPool(self._broken)
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if _thread._shutdown:
                raise RuntimeError("cannot schedule new futures after interpreter shutdown")
            self._work_queue.put(call)  # type: ignore[arg-type]  # duck-typed like _WorkItem
            self._adjust_thread_count()
        return call
