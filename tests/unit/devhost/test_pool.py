"""The function pool's size follows the Python worker's PYTHON_THREADPOOL_THREAD_COUNT."""

from __future__ import annotations

from devhost.pool import DEFAULT_THREAD_COUNT, thread_count


def test_thread_count_setting() -> None:
    assert thread_count({}) == DEFAULT_THREAD_COUNT
    assert thread_count({"PYTHON_THREADPOOL_THREAD_COUNT": " 6 "}) == 6
    assert thread_count({"PYTHON_THREADPOOL_THREAD_COUNT": "1"}) == 1
    for bad in ("0", "-3", "four", "2.5"):  # warned about and ignored, as the worker does
        assert thread_count({"PYTHON_THREADPOOL_THREAD_COUNT": bad}) == DEFAULT_THREAD_COUNT
