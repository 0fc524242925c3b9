"""The function thread pool: sync functions on pool threads, as the Python worker runs them, with
the hand-off's costs cut.

The worker runs a sync function with `loop.run_in_executor(ThreadPoolExecutor)`: every call wakes
a sleeping thread (a futex wake inside SimpleQueue.put) while the loop thread holds the GIL. On
this 2-vCPU VM that wake costs ~5 us of CPU alone, and under load the loop thread, preempted in
it with the GIL in hand, stalls every thread: ~30% of the GIL-holding samples of a trivial HTTP
function under 16 clients sat in that put() (docs/performance.md, Round 4). This pool keeps what
a function sees (it runs on a pool thread, up to `max_workers` of them at once, and never waits
for a thread while one is free) and wakes fewer threads:

- At most one worker *searches* for calls at a time, as Go's scheduler keeps one spinning thread:
  `post` wakes a sleeping thread (or starts one, up to `max_workers`) only when none is
  searching; a worker that takes a call and sees more queued hands them on first (wakes the next
  searcher), then runs its own, and after it looks for the next call before sleeping. So a burst
  of calls wakes a thread or two instead of one per call, and a call never waits behind one that
  blocks.
- Threads run under SCHED_BATCH (Linux; no privilege needed): the same share of the CPU, but
  their wake-ups never preempt the running thread, so the loop carries on until it waits.
- No concurrent.futures.Future per call: the invoker hands results to the loop itself
  (devhost/invoker.py, `_Completions`); `submit` (run_in_executor, the periodic services) still
  returns one.

As ThreadPoolExecutor's, the threads are *not* daemon threads, and a pool not shut down by the
time the interpreter exits is shut down and joined then (the same exit hook ThreadPoolExecutor
registers). A daemon thread still running product code while the interpreter finalizes is torn
down under it: a pool thread in onnxruntime (the search index build) aborted the process with
"terminate called without an active exception" after "devhost stopped" (SIGABRT, exit -6). The
host joins the pool at shutdown within the grace (`join`), and ends the process itself when a
function outlives it (devhost/host.py).
"""

from __future__ import annotations

import collections
import contextlib
import logging
import os
import threading
import time
import weakref
from collections.abc import Callable, Mapping
from concurrent.futures import Executor, Future
from typing import Any

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
    try:  # int(), as the worker: str.isdigit() also passes digits int() refuses ("²")
        count = int(text)
    except ValueError:
        count = 0
    if count < 1:
        log.warning(
            "%s must be a whole number of at least 1, not %r; using %d",
            THREAD_COUNT_SETTING,
            text,
            DEFAULT_THREAD_COUNT,
        )
        return DEFAULT_THREAD_COUNT
    return count


# Every pool not shut down yet: the interpreter's exit shuts them down and joins their threads
# before it finalizes (threading._register_atexit runs before the non-daemon threads are joined,
# as concurrent.futures.thread does for ThreadPoolExecutor), so an idle worker, which sleeps on its
# bell, never holds the exit up and a running call finishes rather than being torn down.
_live_pools: weakref.WeakSet[FunctionPool] = weakref.WeakSet()


def _shut_down_at_exit() -> None:
    for pool in list(_live_pools):
        pool.shutdown(wait=True)


_register_atexit = getattr(threading, "_register_atexit", None)
if _register_atexit is not None:  # CPython >= 3.9
    _register_atexit(_shut_down_at_exit)


def no_wakeup_preemption() -> None:
    """Put the calling thread under SCHED_BATCH (see the module docstring); a no-op where the
    policy does not exist (macOS) or is refused."""
    batch = getattr(os, "SCHED_BATCH", None)
    if batch is None:
        return
    with contextlib.suppress(OSError):
        os.sched_setscheduler(0, batch, os.sched_param(0))  # 0: this thread (Linux)


class PostedCall:
    """A queued call; cancelling it keeps it from starting (no effect once it has: as
    Future.cancel, it cannot stop a running call, and a call that races with cancel() may still
    run, its result then dropped by the cancelled caller)."""

    __slots__ = ("_fn", "_future", "cancelled")

    def __init__(self, fn: Callable[[], None], future: Future[Any] | None = None) -> None:
        self._fn, self._future = fn, future
        self.cancelled = False

    def cancel(self) -> bool:
        self.cancelled = True
        if self._future is not None:
            self._future.cancel()
        return True

    def run(self) -> None:
        if not self.cancelled:
            self._fn()


class FunctionPool(Executor):
    def __init__(self, max_workers: int, thread_name_prefix: str = "") -> None:
        if max_workers < 1:
            raise ValueError("max_workers must be at least 1")
        self._max_workers = max_workers
        self._prefix = thread_name_prefix or f"FunctionPool-{id(self):x}"
        self._calls: collections.deque[PostedCall] = collections.deque()
        self._lock = threading.Lock()  # the queue's hand-off state below, and the thread list
        self._sleeping: list[threading.Lock] = []  # each a held lock its worker waits to acquire
        self._searching = 0  # workers awake and about to look at the queue
        self._threads: list[threading.Thread] = []
        self._shutdown = False
        _live_pools.add(self)

    def post(self, fn: Callable[[], None]) -> PostedCall:
        """Run `fn()` on a pool thread; it must not raise (the invoker's wrapper catches
        everything and delivers it)."""
        return self._post(PostedCall(fn))

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()

        def run() -> None:
            if not future.set_running_or_notify_cancel():
                return
            try:
                result = fn(*args, **kwargs)
            except BaseException as exc:  # the caller's, as ThreadPoolExecutor delivers it
                future.set_exception(exc)
            else:
                future.set_result(result)

        self._post(PostedCall(run, future))
        return future

    def _post(self, call: PostedCall) -> PostedCall:
        with self._lock:
            if self._shutdown:
                raise RuntimeError("cannot schedule new futures after shutdown")
            self._calls.append(call)
            if self._searching == 0:
                try:
                    self._wake_one()
                except BaseException:
                    self._calls.pop()  # refused to the caller: it must not run later all the same
                    raise
        return call

    def _wake_one(self) -> None:
        """With the lock held: one more searching worker, if any thread can be one (else every
        thread is running a call, and the first to finish takes the next)."""
        if self._sleeping:
            self._searching += 1
            self._sleeping.pop().release()  # the most recent sleeper: its stack is still warm
        elif len(self._threads) < self._max_workers:
            thread = threading.Thread(
                target=self._work, name=f"{self._prefix}_{len(self._threads)}", daemon=False
            )
            try:
                thread.start()  # it waits for the lock we hold before it looks at the queue
            except RuntimeError:  # out of threads (RLIMIT_NPROC, memory)
                if not self._threads:
                    raise  # to post()'s caller: no thread would ever take the call
                # A worker handing calls on must not die with the one it took, nor post() refuse a
                # call that the running threads take as each finishes its own.
                log.warning("could not start a function thread; %d take the queue", len(self._threads))
                return
            self._threads.append(thread)
            self._searching += 1

    def _work(self) -> None:
        no_wakeup_preemption()
        bell = threading.Lock()
        bell.acquire()
        lock, calls = self._lock, self._calls
        while True:  # searching (whoever woke or started this thread counted it)
            with lock:
                if calls:
                    call: PostedCall | None = calls.popleft()
                    self._searching -= 1
                    if calls and self._searching == 0:
                        self._wake_one()  # hand the rest on before running this one
                else:
                    call = None
                    self._searching -= 1
                    if self._shutdown:
                        return
                    self._sleeping.append(bell)
            if call is None:
                bell.acquire()  # until _wake_one (or shutdown) releases it
                continue
            try:
                call.run()
            except BaseException:  # post()'s callers catch everything; submit()'s futures too
                log.exception("a pooled call raised")
            with lock:
                self._searching += 1  # back to the queue before sleeping: the next call is ours

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        with self._lock:
            self._shutdown = True
            if cancel_futures:
                while self._calls:
                    self._calls.popleft().cancel()
            while self._sleeping:  # wake every sleeper: each finds the queue empty and exits
                self._searching += 1
                self._sleeping.pop().release()
        _live_pools.discard(self)
        if wait:
            self.join()

    def join(self, timeout: float | None = None) -> bool:
        """After shutdown: wait up to `timeout` seconds (None: for ever) for every thread to end,
        i.e. for the calls already running (and, without cancel_futures, the queued ones) to
        finish. True when none is left running."""
        with self._lock:
            threads = list(self._threads)
        deadline = None if timeout is None else time.monotonic() + timeout
        for thread in threads:
            thread.join(None if deadline is None else max(0.0, deadline - time.monotonic()))
        return not any(thread.is_alive() for thread in threads)

    def running(self) -> int:
        """How many threads are still alive (after shutdown: still running a call)."""
        with self._lock:
            return sum(thread.is_alive() for thread in self._threads)
