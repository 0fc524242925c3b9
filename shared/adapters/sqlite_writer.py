"""One in-process writer lock per SQLite file, taken before `BEGIN IMMEDIATE`.

SQLite's busy handler waits for a file lock by sleeping (1, 2, 5, 10 ... 100 ms) and trying again,
so with 20 threads writing the same file each waiter slept far longer than the write it waited
for took, and throughput fell as clients were added (docs/performance.md). Writers of one process
queue on a Python lock instead, which hands the file over the moment the holder commits;
`busy_timeout` is left for other processes sharing the file.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

# (pid, resolved path) -> lock. Keyed by pid too: a forked child must not inherit a lock that a
# thread of its parent held at the fork.
_locks: dict[tuple[int, str], threading.RLock] = {}
_guard = threading.Lock()


def writer_lock(path: Path | str) -> threading.RLock:
    """Reentrant: a nested transaction fails in SQLite with a clear error, not a deadlock here."""
    key = (os.getpid(), str(Path(path).resolve()))
    with _guard:
        lock = _locks.get(key)
        if lock is None:
            lock = _locks[key] = threading.RLock()
        return lock
