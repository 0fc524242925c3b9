"""Orchestration partitions over devhost's worker processes (FUNCTIONS_WORKER_PROCESS_COUNT > 1).

Like the Azure Storage provider's control queues, each instance id hashes (crc32, stable across
processes) to one of N partitions and worker i runs the episodes of partition i, so an instance's
extended session (sessions.py) stays in one process and is hit on every episode instead of being
replayed wherever the next event happened to be seen first. Activities are not partitioned: any
worker's runner claims them (their leases already make that safe).

Ownership is a lock file per partition (`<data-dir>/durable-partitions/p<i>.lock`) that worker i
holds with `flock` for its lifetime; the kernel drops it when the process dies, however it dies.
A worker probes the other partitions' files (at most every `probe_seconds`) with a non-blocking
`flock`: one it can take has no live owner, and it runs that partition's instances too (after
releasing dead owners' row locks and activity leases) until the owner is back. The probe lock is
let go at once, so a restarted owner gets its file back without waiting; for at most one probe
interval both may look at the partition, which the instance row lock (store.lock) already makes
safe: the partition only decides who *tries* an instance, never who may commit it.

Wake-ups: an event enqueued by one process for an instance another partition owns (a start or a
raised event arriving over HTTP at another worker, an activity result from another worker's
runner, a sub-orchestration's completion) sends one datagram to the owner's abstract unix socket
(`\\0devhost-<hash of the data dir>-<i>`), which sets that engine's wake-up event: no polling
latency between processes. A lost datagram (the owner restarting) costs at most the poll interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import hashlib
import logging
import os
import socket
import time
import zlib
from pathlib import Path

log = logging.getLogger("devhost.durable")


def partition_of(instance_id: str, count: int) -> int:
    return zlib.crc32(instance_id.encode("utf-8")) % count if count > 1 else 0


class Partitions:
    def __init__(self, db_path: Path, index: int, count: int, *, probe_seconds: float = 0.5) -> None:
        if not 0 <= index < count:
            raise ValueError(f"worker index {index} is not in 0..{count - 1}")
        self.index, self.count, self.probe_seconds = index, count, probe_seconds
        self.dir = db_path.parent / f"{db_path.stem}-partitions"
        self.dir.mkdir(parents=True, exist_ok=True)
        digest = hashlib.sha1(str(db_path.resolve()).encode()).hexdigest()[:16]
        self._prefix = f"\0devhost-{digest}-"
        self._own_fd = -1
        self._sock: socket.socket | None = None
        self._orphaned: list[int] = []
        self._probed_at = 0.0
        self._gained = False

    def _lock_file(self, i: int) -> str:
        return str(self.dir / f"p{i}.lock")

    def address(self, i: int) -> str:
        return f"{self._prefix}{i}"

    # --- lifecycle --------------------------------------------------------------------------
    def acquire(self, timeout: float = 30.0) -> None:
        """Take our partition's file (a taker's probe holds it for microseconds at most)."""
        fd = os.open(self._lock_file(self.index), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    os.close(fd)
                    raise RuntimeError(
                        f"durable partition {self.index} is held by another live devhost worker"
                    ) from None
                time.sleep(0.01)
        self._own_fd = fd
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)
        sock.bind(self.address(self.index))
        sock.setblocking(False)
        self._sock = sock

    def listen(self, loop: asyncio.AbstractEventLoop, wake: asyncio.Event) -> None:
        sock = self._sock
        assert sock is not None

        def readable() -> None:
            with contextlib.suppress(OSError):
                while sock.recv(64):
                    pass
            wake.set()

        loop.add_reader(sock.fileno(), readable)

    def close(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        if self._sock is not None:
            if loop is not None:
                with contextlib.suppress(Exception):
                    loop.remove_reader(self._sock.fileno())
            self._sock.close()
            self._sock = None
        if self._own_fd >= 0:
            os.close(self._own_fd)  # closing drops the flock
            self._own_fd = -1

    # --- routing ----------------------------------------------------------------------------
    def owner_of(self, instance_id: str) -> int:
        return partition_of(instance_id, self.count)

    def notify(self, instance_id: str) -> bool:
        """Wake the worker owning `instance_id` if that is not us; True if it is ours."""
        owner = self.owner_of(instance_id)
        if owner == self.index:
            return True
        if self._sock is not None:
            with contextlib.suppress(OSError):  # not listening (restarting): its poll finds it
                self._sock.sendto(b"w", self.address(owner))
        return owner in self._orphaned

    def served(self) -> list[int]:
        """Our partition plus any whose owner is gone (probed at most every probe_seconds)."""
        now = time.monotonic()
        if now - self._probed_at >= self.probe_seconds:
            self._probed_at = now
            before = set(self._orphaned)
            self._orphaned = [i for i in range(self.count) if i != self.index and self._unowned(i)]
            for i in set(self._orphaned) - before:
                self._gained = True
                log.warning("durable: partition %d has no live worker; %d takes it over", i, self.index)
            for i in before - set(self._orphaned):
                log.info("durable: partition %d is owned again; worker %d hands it back", i, self.index)
        return [self.index, *self._orphaned]

    def took_over(self) -> bool:
        """Whether a partition became ours since the last call (once per takeover)."""
        gained, self._gained = self._gained, False
        return gained

    def _unowned(self, i: int) -> bool:
        try:
            fd = os.open(self._lock_file(i), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        except OSError:
            return False
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        finally:
            os.close(fd)  # drops the probe lock, if we got it
        return True
