"""The function pool: its size (PYTHON_THREADPOOL_THREAD_COUNT, as in the worker), its scheduling."""

from __future__ import annotations

import io
import os

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


def test_idle_threads_are_reused_and_busy_ones_make_new_ones_up_to_the_limit() -> None:
    import threading
    import time

    with FunctionPool(3, thread_name_prefix="idle") as pool:
        for _ in range(50):  # one call at a time: the idle thread takes each
            done = threading.Event()
            pool.post(done.set)
            assert done.wait(5)
            deadline = time.monotonic() + 5
            while pool._idle_semaphore._value == 0 and time.monotonic() < deadline:  # type: ignore[attr-defined]
                time.sleep(0.001)  # the thread counts itself idle just after the call returns
        assert len(pool._threads) == 1
        gate, started = threading.Event(), threading.Semaphore(0)

        def blocked() -> None:
            started.release()
            gate.wait(5)

        for _ in range(5):  # more blocked calls than threads: 3 threads, the rest wait their turn
            pool.post(blocked)
        for _ in range(3):
            assert started.acquire(timeout=5)
        assert len(pool._threads) == 3
        assert not started.acquire(timeout=0.05)
        gate.set()
        for _ in range(2):
            assert started.acquire(timeout=5)
