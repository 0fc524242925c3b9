"""One seeded devhost for all the pytest-xdist workers of a run that run browser tests.

Seeding takes one to three minutes (first models, a year of demo sales); paying it once per worker
would double the browser suite's cost under `make test -n 2`. xdist's own way to keep tests on one
worker (`--dist loadgroup` with `xdist_group`) does nothing with pytest 9 (xdist 3.8 renames
`item._nodeid`, which pytest 9 no longer reads), so the workers share the process instead:

- a JSON state file and an `fcntl` lock in the directory all workers' temp dirs share;
- the first worker to need the site starts devhost and records `{url, pid, dataDir, users}`;
  later ones find it alive and add themselves to `users`;
- each worker leaves at the end of its session; the last one stops devhost (SIGTERM, then SIGKILL).

A worker that finishes before another one starts stops it, and the later one starts a new one:
slower, never wrong. Without xdist this is just one devhost for the session.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import signal
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.e2e.conftest import DevhostProcess, Launcher


@dataclass
class Lease:
    url: str
    data_dir: Path
    owner: DevhostProcess | None  # set in the worker that started it


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A reaped child is gone; an exited but unreaped one (a zombie of this process) is not running.
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().split()[2] != "Z"
    except OSError:
        return True


class SharedDevhost:
    def __init__(self, shared_dir: Path, launcher: Launcher) -> None:
        self.state_path = shared_dir / "browser-devhost.json"
        self.lock_path = shared_dir / "browser-devhost.lock"
        self.launcher = launcher

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        with self.lock_path.open("a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)

    def _read(self) -> dict[str, object] | None:
        try:
            return dict(json.loads(self.state_path.read_text()))
        except (OSError, ValueError):
            return None

    def _write(self, state: dict[str, object] | None) -> None:
        if state is None:
            self.state_path.unlink(missing_ok=True)
        else:
            self.state_path.write_text(json.dumps(state))

    def acquire(self) -> Lease:
        with self._locked():
            state = self._read()
            if state and int(str(state["users"])) > 0 and _alive(int(str(state["pid"]))):
                state["users"] = int(str(state["users"])) + 1
                self._write(state)
                return Lease(str(state["url"]), Path(str(state["dataDir"])), None)
            dh = self.launcher.start(seed=True)  # waits for /api/health, not for seeding
            self._write({"url": dh.url, "pid": dh.proc.pid, "dataDir": str(dh.data_dir), "users": 1})
            return Lease(dh.url, dh.data_dir, dh)

    def release(self, lease: Lease) -> None:
        with self._locked():
            state = self._read()
            users = int(str(state["users"])) - 1 if state and state["url"] == lease.url else 0
            if users > 0 and state is not None:
                state["users"] = users
                self._write(state)
                return
            self._write(None)
            if lease.owner is not None:
                lease.owner.stop()
            elif state is not None:
                _stop_pid(int(str(state["pid"])))


def _stop_pid(pid: int, timeout: float = 20.0) -> None:
    """Stop a devhost another worker started (so not this process's child)."""
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
