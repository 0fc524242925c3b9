"""The function thread pool: the Python worker's ThreadPoolExecutor, with two costs of the hop cut.

1. Wake-up preemption. Handing a call to a pool thread wakes it (a futex wake inside
   SimpleQueue.put) while the loop thread holds the GIL. On a busy machine the scheduler runs the
   woken thread at once on the waker's CPU; it finds the GIL taken and sleeps again, and the loop
   thread, preempted with the GIL in hand, stalls every thread meanwhile: ~30% of the GIL-holding
   samples of a trivial HTTP function under 16 clients sat in that put() (docs/performance.md,
   Round 4). Pool threads therefore run under SCHED_BATCH (Linux; no privilege needed): the same
   share of the CPU, but their wake-ups never preempt the running thread, so the loop carries on
   until it waits (epoll), and the woken threads take the GIL then.
2. concurrent.futures.Future. The invoker hands each sync function's result to the loop itself
   (devhost/invoker.py, `_Completions`), so the Future that `submit` makes for every call is only
   built, locked, set and thrown away (a Condition with its RLock to create;
   `set_running_or_notify_cancel` and `set_result` each take it and notify). `post` queues a bare
   call on the same work queue instead.
3. The idle count. ThreadPoolExecutor counts idle threads in a threading.Semaphore (a Condition
   over a lock, in Python): every call pays an `acquire(timeout=0)` and a `release()`, ~2-3 us
   together. It only ever asks "is one idle?" without blocking, which `_IdleCount` answers with
   an integer under a C lock.

The executor's threads, their lazy start, the idle count, `max_workers` and `shutdown` are the
standard library's, and `submit` (run_in_executor, the periodic services) works as before.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
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


def no_wakeup_preemption() -> None:
    """Put the calling thread under SCHED_BATCH (see the module docstring); a no-op where the
    policy does not exist (macOS) or is refused."""
    batch = getattr(os, "SCHED_BATCH", None)
    if batch is None:
        return
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, batch, os.sched_param(0))  # 0: this thread (Linux)


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


class _IdleCount:
    """What ThreadPoolExecutor asks of its idle semaphore: `acquire(timeout=0)` in
    `_adjust_thread_count` (take an idle thread if there is one) and `release()` from a worker
    that finished a call. Never blocks."""

    __slots__ = ("_lock", "_value")

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    def acquire(self, blocking: bool = True, timeout: float | None = None) -> bool:
        with self._lock:
            if self._value:
                self._value -= 1
                return True
            return False

    def release(self, n: int = 1) -> None:
        with self._lock:
            self._value += n


class FunctionPool(ThreadPoolExecutor):
    def __init__(self, max_workers: int, thread_name_prefix: str = "") -> None:
        super().__init__(max_workers, thread_name_prefix, initializer=no_wakeup_preemption)
        self._idle_semaphore = _IdleCount()  # type: ignore[assignment]

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
