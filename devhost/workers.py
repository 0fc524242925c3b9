"""Worker processes: FUNCTIONS_WORKER_PROCESS_COUNT=N runs the app in N processes over one data dir.

The Azure Functions host starts up to 10 language worker processes per instance and spreads
invocations over them, so a Python app is not bound to one core by the GIL. devhost does the same
(docs/devhost.md, "Worker processes"): the process you start is worker 0; it binds the port
(SO_REUSEPORT, so port 0 still works: the others bind the port it got) and starts workers 1..N-1
as `python -m devhost start` children with the same arguments. The kernel spreads HTTP
connections over the N listening sockets; Service Bus pumps and durable activities run in every
worker (each message is claimed in SQLite, so it is handled once per delivery); orchestration
episodes are partitioned by instance id (devhost/durable/partitions.py); timers, the periodic
services (outbox relay) and seeding are singletons that run in worker 0 only, as the real host
runs a timer on one instance.

Children die with worker 0: each asks the kernel for SIGKILL when its parent dies
(prctl PR_SET_PDEATHSIG), so a SIGKILLed worker 0 leaves no orphans; a stop (SIGTERM, Ctrl-C) of
worker 0 stops them gracefully first. A child that dies on its own is started again after a
second, as the host restarts a crashed language worker; meanwhile the others take over its
orchestration partition.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import logging
import os
import select
import signal
import subprocess
import time
from collections.abc import Callable

log = logging.getLogger("devhost")

SETTING = "FUNCTIONS_WORKER_PROCESS_COUNT"
MAX_WORKERS = 10  # the host's limit
INDEX_ENV = "DEVHOST_WORKER_INDEX"
PARENT_ENV = "DEVHOST_WORKER_PARENT"
READY_FD_ENV = "DEVHOST_WORKER_READY_FD"
_PR_SET_PDEATHSIG = 1


def worker_count(environ: dict[str, str] | None = None) -> int:
    """FUNCTIONS_WORKER_PROCESS_COUNT (1 when unset); ValueError outside 1..10, like the host."""
    text = (environ if environ is not None else os.environ).get(SETTING, "").strip()
    if not text:
        return 1
    if not text.isdigit() or not 1 <= int(text) <= MAX_WORKERS:
        raise ValueError(f"{SETTING} must be a whole number from 1 to {MAX_WORKERS}, not {text!r}")
    return int(text)


def worker_index() -> int:
    return int(os.environ.get(INDEX_ENV, "0") or 0)


def die_with_parent() -> None:
    """In a child worker: SIGKILL when worker 0 dies, and exit now if it already has."""
    parent = int(os.environ.get(PARENT_ENV, "0") or 0)
    if not parent:
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        # SIGKILL, not SIGTERM: a graceful stop would go on serving for its grace period with no
        # worker 0; dying at once is the crash a restart already recovers from.
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # died between our fork and the prctl
        os._exit(1)


def report_ready() -> None:
    """In a child worker: tell worker 0 this one is listening."""
    fd = int(os.environ.pop(READY_FD_ENV, "-1") or -1)
    if fd >= 0:
        with contextlib.suppress(OSError):
            os.write(fd, b"r")
            os.close(fd)


class WorkerSet:
    """Worker 0's children: start, wait until listening, restart if one dies, stop."""

    def __init__(self, count: int, argv: Callable[[int], list[str]], *, ready_timeout: float = 60.0) -> None:
        self.count, self.argv, self.ready_timeout = count, argv, ready_timeout
        self.children: dict[int, subprocess.Popen[bytes]] = {}
        self.restarts = 0
        self._stopping = False
        self._monitor: asyncio.Task[None] | None = None

    def _spawn(self, index: int) -> tuple[subprocess.Popen[bytes], int]:
        read_fd, write_fd = os.pipe()
        env = {
            **os.environ,
            INDEX_ENV: str(index),
            PARENT_ENV: str(os.getpid()),
            READY_FD_ENV: str(write_fd),
        }
        try:
            proc = subprocess.Popen(self.argv(index), env=env, pass_fds=(write_fd,))
        finally:
            os.close(write_fd)
        self.children[index] = proc
        log.info("worker %d started (pid %d)", index, proc.pid)
        return proc, read_fd

    async def start(self) -> None:
        """Start workers 1..N-1 (from the loop's thread: PDEATHSIG follows the forking thread)."""
        loop = asyncio.get_running_loop()
        started = [self._spawn(i) for i in range(1, self.count)]
        await asyncio.gather(*(loop.run_in_executor(None, self._wait_ready, p, fd) for p, fd in started))
        self._monitor = loop.create_task(self._watch(), name="devhost-workers")

    def _wait_ready(self, proc: subprocess.Popen[bytes], read_fd: int) -> None:
        try:
            deadline = time.monotonic() + self.ready_timeout
            while time.monotonic() < deadline:
                ready, _, _ = select.select([read_fd], [], [], 0.2)
                if ready:
                    if os.read(read_fd, 1):
                        return
                    raise RuntimeError(f"worker pid {proc.pid} exited before listening ({proc.poll()})")
            raise RuntimeError(f"worker pid {proc.pid} did not start within {self.ready_timeout:.0f} s")
        finally:
            os.close(read_fd)

    async def _watch(self) -> None:
        loop = asyncio.get_running_loop()
        while not self._stopping:
            await asyncio.sleep(0.5)
            for index, proc in list(self.children.items()):
                code = proc.poll()
                if code is None or self._stopping:
                    continue
                log.warning("worker %d (pid %d) exited with %s; starting it again", index, proc.pid, code)
                await asyncio.sleep(1.0)
                if self._stopping:
                    return
                self.restarts += 1
                new, fd = self._spawn(index)
                try:
                    await loop.run_in_executor(None, self._wait_ready, new, fd)
                except RuntimeError:
                    log.exception("worker %d did not come back", index)

    async def stop(self, grace_seconds: float) -> None:
        self._stopping = True
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        for proc in self.children.values():
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        loop = asyncio.get_running_loop()

        def reap(proc: subprocess.Popen[bytes]) -> None:
            try:
                proc.wait(grace_seconds + 5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)

        await asyncio.gather(*(loop.run_in_executor(None, reap, p) for p in self.children.values()))

    def pids(self) -> dict[int, int]:
        return {i: p.pid for i, p in self.children.items() if p.poll() is None}
