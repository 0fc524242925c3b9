"""devhost as a subprocess for e2e tests.

    def test_x(start_devhost):
        dh = start_devhost()                       # the product app, tmp data dir, no seed
        dh = start_devhost(app="tests.e2e.apps.foundation_app:app", env={"X": "1"})
        ApiClient(dh.url).get("/api/health")

Each process runs from the repo root on a free port (`--port 0`), with its output in
`<data_dir>/devhost.log` (its tail is printed when a test fails) and is always stopped at
teardown. `start_devhost_module` is the same factory shared by a whole test module.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import pytest

ROOT = Path(__file__).resolve().parents[2]
READY = re.compile(r"devhost listening on (http://\S+)")
START_TIMEOUT = 40.0


@dataclass
class DevhostProcess:
    proc: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    log_path: Path
    _log_file: Any = field(repr=False, default=None)

    @property
    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM (graceful shutdown), SIGKILL if it does not exit in time. Returns the exit code."""
        if self.alive:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self._close()
        return int(self.proc.returncode)

    def kill(self) -> None:
        """SIGKILL, like a crash; reaps the process so its pid reads as dead."""
        if self.alive:
            self.proc.kill()
        self.proc.wait(10)
        self._close()

    def _close(self) -> None:
        if self._log_file is not None and not self._log_file.closed:
            self._log_file.close()

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace") if self.log_path.exists() else ""

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log().splitlines()[-lines:])


class StartDevhost(Protocol):
    def __call__(
        self,
        app: str = ...,
        data_dir: Path | None = ...,
        env: dict[str, str] | None = ...,
        seed: bool = ...,
        wait_health: bool = ...,
        extra_args: list[str] | None = ...,
    ) -> DevhostProcess: ...


def _wait_ready(dh: DevhostProcess, offset: int, deadline: float) -> str:
    while time.monotonic() < deadline:
        m = READY.search(dh.log(), offset)
        if m:
            return m.group(1)
        if not dh.alive:
            raise RuntimeError(f"devhost exited with {dh.proc.returncode}:\n{dh.log_tail()}")
        time.sleep(0.05)
    raise RuntimeError(f"devhost did not start within {START_TIMEOUT:.0f}s:\n{dh.log_tail()}")


def _wait_health(url: str, deadline: float) -> None:
    last = ""
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url + "/api/health", timeout=5) as resp:
                if resp.status == 200:
                    return
        except (urllib.error.URLError, OSError) as exc:
            last = str(exc)
        time.sleep(0.05)
    raise RuntimeError(f"GET /api/health never answered 200 ({last})")


class Launcher:
    def __init__(self, base_dir: Path) -> None:
        self.base_dir = base_dir
        self.started: list[DevhostProcess] = []

    def start(
        self,
        app: str = "function_app:app",
        data_dir: Path | None = None,
        env: dict[str, str] | None = None,
        seed: bool = False,
        wait_health: bool = True,
        extra_args: list[str] | None = None,
    ) -> DevhostProcess:
        data_dir = data_dir or self.base_dir / f"devhost-{len(self.started)}"
        data_dir.mkdir(parents=True, exist_ok=True)
        log_path = data_dir / "devhost.log"
        log_file = log_path.open("ab")
        # The log is appended to across restarts on one data dir: only read what this run writes.
        offset = len(log_path.read_text(encoding="utf-8", errors="replace"))
        cmd = [
            sys.executable,
            "-m",
            "devhost",
            "start",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
            "--app",
            app,
        ]
        if not seed:
            cmd.append("--no-seed")
        cmd += extra_args or []
        full_env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1", **(env or {})}
        proc = subprocess.Popen(cmd, cwd=ROOT, env=full_env, stdout=log_file, stderr=subprocess.STDOUT)
        dh = DevhostProcess(proc, "", data_dir, log_path, log_file)
        self.started.append(dh)
        deadline = time.monotonic() + START_TIMEOUT
        dh.url = _wait_ready(dh, offset, deadline)
        if wait_health:
            _wait_health(dh.url, deadline)
        return dh

    def stop_all(self) -> None:
        for dh in self.started:
            try:
                dh.stop()
            except Exception:  # teardown must try every process
                dh.kill()

    def tails(self) -> str:
        return "\n\n".join(f"--- {dh.log_path} ---\n{dh.log_tail()}" for dh in self.started)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def start_devhost(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[StartDevhost]:
    launcher = Launcher(tmp_path)
    yield launcher.start
    rep = getattr(request.node, "rep_call", None)
    if rep is not None and rep.failed:
        print(f"\n=== devhost output ===\n{launcher.tails()}")
    launcher.stop_all()


@pytest.fixture(scope="module")
def start_devhost_module(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[StartDevhost]:
    launcher = Launcher(tmp_path_factory.mktemp("devhost"))
    failed_before = request.session.testsfailed
    yield launcher.start
    if request.session.testsfailed > failed_before:
        print(f"\n=== devhost output ===\n{launcher.tails()}")
    launcher.stop_all()
