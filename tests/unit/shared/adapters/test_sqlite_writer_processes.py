"""The SQLite writer lock holds across processes (shared/adapters/sqlite_writer.py): a second
process waits in the kernel for the holder, instead of in SQLite's sleeping busy handler."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from shared.adapters.sqlite_writer import cross_process, lock_path_for, writer_lock

ROOT = Path(__file__).resolve().parents[4]

HOLDER = """
import sys, time
from shared.adapters.sqlite_writer import writer_lock
lock = writer_lock(sys.argv[1])
with lock:
    with lock:  # reentrant: the inner release must not drop the file lock
        pass
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
print("released", flush=True)
"""


def test_another_process_waits_for_the_holder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FUNCTIONS_WORKER_PROCESS_COUNT", "2")  # what every devhost worker inherits
    db = tmp_path / "x.db"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), "0.6"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        began = time.monotonic()
        with writer_lock(db):
            waited = time.monotonic() - began
        assert child.stdout.readline().strip() == "released"
    finally:
        child.wait(10)
    assert waited > 0.3, f"took the lock after {waited:.3f} s while another process held it"
    assert Path(lock_path_for(db)).exists()


def test_one_worker_keeps_the_plain_thread_lock(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FUNCTIONS_WORKER_PROCESS_COUNT", raising=False)
    assert not cross_process()
    assert type(writer_lock(tmp_path / "z.db")) is type(threading.RLock())
    assert not Path(lock_path_for(tmp_path / "z.db")).exists()


@pytest.mark.parametrize("workers", ["1", "2"])
def test_threads_of_one_process_still_queue_and_nest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: str
) -> None:
    monkeypatch.setenv("FUNCTIONS_WORKER_PROCESS_COUNT", workers)
    lock = writer_lock(tmp_path / "y.db")
    assert lock is writer_lock(tmp_path / "y.db")
    order: list[str] = []
    with lock:

        def other() -> None:
            with lock:
                order.append("other")

        t = threading.Thread(target=other)
        t.start()
        with lock:
            time.sleep(0.05)
            order.append("nested")
        time.sleep(0.05)
        order.append("outer")
    t.join(5)
    assert order == ["nested", "outer", "other"]
    assert lock.acquire(blocking=False)  # free again
    lock.release()
