"""One writer lock per SQLite file, taken before `BEGIN IMMEDIATE`: a thread lock, then a lock file.

SQLite's busy handler waits for a file lock by sleeping (1, 2, 5, 10 ... 100 ms) and trying again,
so with 20 threads writing the same file each waiter slept far longer than the write it waited
for took, and throughput fell as clients were added (docs/performance.md). Writers of one process
queue on a Python lock instead, which hands the file over the moment the holder commits.

With several devhost worker processes on one data dir (FUNCTIONS_WORKER_PROCESS_COUNT, docs/
devhost.md) the same sleeping came back between processes. So the outermost acquisition also
takes an exclusive `flock` on a sidecar file next to the database (`<file>.writer.lock`): a
process waiting for it blocks in the kernel and is woken the moment the holder unlocks, and
SQLite's busy handler only ever sees a free file. The thread lock is taken first, so at most one
thread per process waits in `flock` (a syscall that releases the GIL) and the others queue in
Python. A process that dies holding it loses it with its file descriptor. `busy_timeout` stays as
the backstop for writers that do not use this lock (tools, the sqlite3 shell).

The file lock costs two syscalls per transaction (about 3 us on a quiet machine, 12 us under
load), so it is only taken when devhost runs several worker processes
(FUNCTIONS_WORKER_PROCESS_COUNT > 1, which every worker inherits); with one, the lock is the plain
thread lock it always was.
"""

from __future__ import annotations

import _thread
import contextlib
import fcntl
import os
import threading
from pathlib import Path
from typing import Any

# (pid, resolved path) -> lock. Keyed by pid too: a forked child must not inherit a lock that a
# thread of its parent held at the fork.
_locks: dict[tuple[int, str], threading.RLock] = {}
_guard = threading.Lock()

LOCK_SUFFIX = ".writer.lock"
WORKER_COUNT_SETTING = "FUNCTIONS_WORKER_PROCESS_COUNT"  # devhost/workers.py


class _FileWriterLock(_thread.RLock):  # type: ignore[misc]  # final in typeshed only
    """A reentrant thread lock whose outermost hold also holds `flock(LOCK_EX)` on a sidecar file.

    A subclass of the thread RLock so callers keep their `threading.RLock` type. The depth counter
    is only touched by the thread that holds the RLock."""

    def __init__(self, lock_path: str) -> None:
        super().__init__()
        self._lock_path = lock_path
        self._fd = -1
        self._depth = 0

    def _file(self) -> int:
        if self._fd < 0:
            self._fd = os.open(self._lock_path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        return self._fd

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        if not super().acquire(blocking, timeout):
            return False
        if self._depth == 0:
            try:
                fcntl.flock(self._file(), fcntl.LOCK_EX if blocking else fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                super().release()
                return False
            except BaseException:
                super().release()
                raise
        self._depth += 1
        return True

    def release(self) -> None:
        self._depth -= 1
        if self._depth == 0:
            with contextlib.suppress(OSError):
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        super().release()

    def __enter__(self, blocking: bool = True, timeout: float = -1) -> bool:
        return self.acquire(blocking, timeout)

    def __exit__(self, *exc: Any) -> None:
        self.release()


def lock_path_for(path: Path | str) -> str:
    """The sidecar file whose `flock` serialises the writers of `path` across processes."""
    return str(Path(path).resolve()) + LOCK_SUFFIX


def cross_process() -> bool:
    """Whether writers must also lock across processes: devhost runs several worker processes."""
    text = os.environ.get(WORKER_COUNT_SETTING, "").strip()
    return text.isdigit() and int(text) > 1


def writer_lock(path: Path | str) -> threading.RLock:
    """Reentrant: a nested transaction fails in SQLite with a clear error, not a deadlock here."""
    lock_path = lock_path_for(path)
    key = (os.getpid(), lock_path)
    with _guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = _FileWriterLock(lock_path) if cross_process() else threading.RLock()
        return lock
