"""devhost refuses what Azure refuses: an app the Python worker would not load does not start.

tests/e2e/apps/unloadable_app.py has two functions the worker's indexing
(`azure-functions-runtime`, installed by `make install` in .worker-runtime/) refuses and one it
accepts; in Azure one refusal means no function loads, so devhost exits with the worker's words
instead of serving the rest.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from devhost import worker_check
from tests.e2e.conftest import ROOT

pytestmark = pytest.mark.e2e


def _start(app: str, data_dir: Path) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "devhost", "start", "--port", "0", "--no-seed", "--data-dir", str(data_dir)]
    env = {**os.environ, "PYTHONPATH": str(ROOT), "PYTHONUNBUFFERED": "1"}
    return subprocess.run(
        [*cmd, "--app", app], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_devhost_exits_non_zero_with_the_workers_message(tmp_path: Path) -> None:
    # Without the package devhost warns and serves (this run would then time out): say why instead.
    assert worker_check.load_runtime() is not None, "azure-functions-runtime missing: run `make install`"
    done = _start("tests.e2e.apps.unloadable_app:app", tmp_path)
    assert done.returncode == 1, (done.returncode, done.stdout[-2000:], done.stderr[-2000:])
    assert "devhost listening" not in done.stdout
    assert "refuses 2 of 3 functions" in done.stderr, done.stderr[-3000:]
    assert (
        "FunctionLoadError: cannot load the broken_activity function: "
        "binding payload has invalid non-type annotation dict[str, typing.Any]"
    ) in done.stderr
    assert "cannot load the unbound_parameter function: the following parameters are declared" in done.stderr
    assert "cannot load the ping function" not in done.stderr
