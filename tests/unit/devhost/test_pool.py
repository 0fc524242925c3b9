"""The function pool: its size (PYTHON_THREADPOOL_THREAD_COUNT, as in the worker), its scheduling."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from devhost.logwriter import BackgroundStreamHandler
from devhost.pool import DEFAULT_THREAD_COUNT, FunctionPool, thread_count


def test_thread_count_setting() -> None:
    assert thread_count({}) == DEFAULT_THREAD_COUNT
    assert thread_count({"PYTHON_THREADPOOL_THREAD_COUNT": " 6 "}) == 6
    assert thread_count({"PYTHON_THREADPOOL_THREAD_COUNT": "1"}) == 1
    for bad in ("0", "-3", "four", "2.5"):  # warned about and ignored, as the worker does
        assert thread_count({"PYTHON_THREADPOOL_THREAD_COUNT": bad}) == DEFAULT_THREAD_COUNT


@pytest.mark.skipif(not hasattr(os, "SCHED_BATCH"), reason="Linux scheduling policy")
def test_pool_and_log_writer_threads_do_not_preempt_the_thread_that_wakes_them() -> None:
    with FunctionPool(2, thread_name_prefix="policy") as pool:
        assert pool.submit(os.sched_getscheduler, 0).result() == os.SCHED_BATCH
        assert pool.post(lambda: None) is not None
    handler = BackgroundStreamHandler(io.StringIO())
    handler.flush()  # the writer has started and set its policy
    assert handler._writer.native_id is not None
    assert os.sched_getscheduler(handler._writer.native_id) == os.SCHED_BATCH


def _eventually(condition: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.001)
    return True


def test_a_sleeping_thread_is_reused_and_a_burst_wakes_few_threads() -> None:
    with FunctionPool(32, thread_name_prefix="idle") as pool:
        for _ in range(20):  # one call at a time: the one thread takes each
            done = threading.Event()
            pool.post(done.set)
            assert done.wait(5)
            assert _eventually(lambda: len(pool._sleeping) == len(pool._threads))
        assert len(pool._threads) == 1
        ran: list[int] = []
        for n in range(400):  # a burst of quick calls: not a thread per call, as submit() does
            pool.post(lambda n=n: ran.append(n))  # type: ignore[misc]
        assert _eventually(lambda: len(ran) == 400)
        assert sorted(ran) == list(range(400))
        # ThreadPoolExecutor starts ~27 of its 32 here (no thread is idle at most submits); a new thread
        # joins only when every awake one is inside a call when a call is taken.
        assert len(pool._threads) <= 12


def test_a_call_never_waits_behind_a_blocked_one_while_a_thread_is_free() -> None:
    with FunctionPool(3, thread_name_prefix="busy") as pool:
        gate, started = threading.Event(), threading.Semaphore(0)

        def blocked() -> None:
            started.release()
            gate.wait(5)

        for _ in range(5):  # more blocked calls than threads: 3 run, the rest wait their turn
            pool.post(blocked)
        for _ in range(3):
            assert started.acquire(timeout=5)
        assert len(pool._threads) == 3
        assert not started.acquire(timeout=0.05)
        gate.set()
        for _ in range(2):
            assert started.acquire(timeout=5)
        gate.clear()
        assert _eventually(lambda: len(pool._sleeping) == 3)
        pool.post(blocked)  # one blocks again: the next call gets another thread at once
        assert started.acquire(timeout=5)
        free = threading.Event()
        pool.post(free.set)
        assert free.wait(2), "a call waited behind a blocked one"
        gate.set()


def test_submit_and_shutdown() -> None:
    pool = FunctionPool(2)
    assert pool.submit(lambda a, b=0: a + b, 2, b=3).result(5) == 5
    failing = pool.submit(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        failing.result(5)
    gate, started = threading.Event(), threading.Semaphore(0)

    def blocked() -> bool:
        started.release()
        return gate.wait(5)

    blockers = [pool.submit(blocked) for _ in range(2)]
    assert started.acquire(timeout=5) and started.acquire(timeout=5)  # both threads busy
    queued = pool.submit(lambda: "never")
    pool.shutdown(wait=False, cancel_futures=True)
    assert queued.cancelled()
    with pytest.raises(RuntimeError, match="after shutdown"):
        pool.submit(lambda: None)
    gate.set()
    assert all(b.result(5) for b in blockers)
    pool.shutdown(wait=True)
    assert not any(t.is_alive() for t in pool._threads)


def test_a_setting_that_int_refuses_is_ignored_not_a_crash() -> None:
    # str.isdigit() accepts digits int() refuses ("²"): warned about and ignored like any bad value.
    for bad in ("²", "3²", "1e3", ""):
        assert thread_count({"PYTHON_THREADPOOL_THREAD_COUNT": bad}) == DEFAULT_THREAD_COUNT
    assert thread_count({"PYTHON_THREADPOOL_THREAD_COUNT": "+4"}) == 4  # int() takes it, as the worker


def test_a_thread_that_cannot_start_loses_no_call(monkeypatch: pytest.MonkeyPatch) -> None:
    """Out of threads (RLIMIT_NPROC, memory): the threads already running take the queue, and
    the worker that tried to hand the rest on does not die with the call it had taken."""
    start = threading.Thread.start

    def refused(self: threading.Thread) -> None:
        if self.name.startswith("nostart") and not self.name.endswith("_0"):
            raise RuntimeError("can't start new thread")
        start(self)

    monkeypatch.setattr(threading.Thread, "start", refused)
    with FunctionPool(3, thread_name_prefix="nostart") as pool:
        gate, started = threading.Event(), threading.Event()

        def blocked() -> None:
            started.set()
            gate.wait(5)

        pool.post(blocked)
        assert started.wait(5)
        ran: list[str] = []
        pool.post(lambda: ran.append("b"))  # no thread can start for these: they wait their turn
        pool.post(lambda: ran.append("c"))
        gate.set()
        assert _eventually(lambda: len(ran) == 2), "a queued call never ran"
        assert ran == ["b", "c"]
        assert len(pool._threads) == 1 and pool._threads[0].is_alive()


def test_a_call_refused_for_want_of_a_thread_does_not_run_later(monkeypatch: pytest.MonkeyPatch) -> None:
    start = threading.Thread.start
    refuse = [True]

    def refused(self: threading.Thread) -> None:
        if self.name.startswith("refuse") and refuse[0]:
            raise RuntimeError("can't start new thread")
        start(self)

    monkeypatch.setattr(threading.Thread, "start", refused)
    with FunctionPool(2, thread_name_prefix="refuse") as pool:
        ran: list[str] = []
        with pytest.raises(RuntimeError):
            pool.post(lambda: ran.append("refused"))  # the caller is told it failed...
        refuse[0] = False
        done = threading.Event()
        pool.post(done.set)
        assert done.wait(5)
        assert ran == []  # ...so it must not run behind the caller's back


def _exit_with(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    """`code` in a fresh interpreter (from the repo root), which then exits by itself."""
    root = Path(__file__).resolve().parents[3]
    return subprocess.run(
        [sys.executable, "-c", code, str(tmp_path)], cwd=root, capture_output=True, text=True, timeout=30
    )


def test_the_interpreter_exit_waits_for_a_running_call_and_not_for_idle_threads(tmp_path: Path) -> None:
    # Daemon threads were torn down mid-call at exit (a C++ abort when the call was in
    # onnxruntime); as ThreadPoolExecutor's, the pool's threads are joined, and idle ones end.
    done = _exit_with(
        "import sys, time, pathlib\n"
        "from devhost.pool import FunctionPool\n"
        "pool = FunctionPool(4)\n"
        "pool.submit(lambda: None).result()  # an idle thread, never shut down\n"
        "started = pool.submit(lambda: None)\n"
        "def slow():\n"
        "    time.sleep(0.5)\n"
        "    (pathlib.Path(sys.argv[1]) / 'finished').write_text('yes')\n"
        "pool.post(slow)\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert (tmp_path / "finished").read_text() == "yes"


def test_join_waits_for_the_running_calls_up_to_its_timeout() -> None:
    pool = FunctionPool(2)
    release = threading.Event()
    def blocked() -> None:
        release.wait()

    pool.post(blocked)
    assert _eventually(lambda: pool.running() == 1)
    assert not any(t.daemon for t in threading.enumerate() if t.name.startswith("FunctionPool-"))
    pool.shutdown(wait=False)
    started = time.monotonic()
    assert pool.join(0.2) is False  # the call is still running: the caller decides what to do
    assert time.monotonic() - started < 2.0
    assert pool.running() == 1
    release.set()
    assert pool.join(5.0) is True
    assert pool.running() == 0
