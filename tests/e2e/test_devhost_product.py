"""The product app under devhost: `make run`-style start serves /api/health, and cold-start imports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

from tests.e2e.conftest import ROOT, StartDevhost
from tests.e2e.helpers import ApiClient

pytestmark = pytest.mark.e2e

HEAVY = ("sklearn", "scipy", "pandas")


def test_product_app_serves_health_soon_after_first_start(start_devhost: StartDevhost) -> None:
    started = time.monotonic()
    dh = start_devhost(seed=True)  # first start on an empty data dir, seeding enabled, like `make run`
    assert time.monotonic() - started < 20
    r = ApiClient(dh.url).get("/api/health")
    assert r.status == 200, r
    assert r.json()["status"] in {"ok", "degraded"}
    # Each dependency is reported, and on a healthy local start each one passes.
    checks = r.json()["checks"]
    ports = ("documents", "blobs", "events")
    assert all(checks.get(name, {}).get("status") == "ok" for name in ports), checks
    status = ApiClient(dh.url).get("/runtime/devhost/status").json()
    assert status["functions"]["httpTrigger"] >= 1
    assert dh.stop() == 0


def test_import_function_app_pulls_in_no_training_libraries() -> None:
    code = (
        "import sys, json, function_app\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
