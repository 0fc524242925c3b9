"""The extension seam (what the durable engine and in-host services plug into), end to end."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, StartDevhost
from tests.e2e.helpers import ApiClient, wait_for

pytestmark = pytest.mark.e2e


def test_extension_binding_routes_periodic_jobs_and_invoke(start_devhost: StartDevhost) -> None:
    dh = start_devhost(
        app="tests.e2e.apps.extension_app:app",
        wait_health=False,
        extra_args=["--extension", "tests.e2e.apps.extension_app:GreetingExtension"],
    )
    api = ApiClient(dh.url)
    r = api.get("/api/greet/Ada")
    assert r.status == 200 and r.text == "Hello, Ada!", r

    def info_after_ticks() -> dict[str, Any] | None:
        info: dict[str, Any] = api.get("/runtime/webhooks/greeting/info").json()
        return info if info["ticks"] >= 3 else None

    info = wait_for(info_after_ticks, timeout=10, message="the periodic job to run")
    assert info["baseUrl"] == dh.url
    assert info["dataDir"] == str(dh.data_dir)
    assert info["functions"] == ["double", "greet"]

    raw = api.get("/api/greet/Ada/raw")
    assert raw.status == 200 and raw.text == "raw Ada", raw

    invoked = api.post("/runtime/webhooks/greeting/invoke/double", {"value": 21})
    assert invoked.status == 200 and invoked.json() == {"value": 42}, invoked


def test_durable_cli_commands_exist() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "devhost", "instances", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0 and "--status" in out.stdout, out.stderr
