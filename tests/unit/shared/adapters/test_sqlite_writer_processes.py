"""The SQLite writer lock holds across processes (shared/adapters/sqlite_writer.py): a second
process waits in the kernel for the holder, instead of in SQLite's sleeping busy handler."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

from shared.adapters.sqlite_writer import lock_path_for, writer_lock

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


def test_another_process_waits_for_the_holder(tmp_path: Path) -> None:
    db = tmp_path / "x.db"
    child = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(db), "0.6"], cwd=ROOT, stdout=subprocess.PIPE, text=True
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


def test_threads_of_one_process_still_queue_and_nest(tmp_path: Path) -> None:
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
