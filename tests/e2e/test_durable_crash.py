"""SIGKILL devhost in the middle of a 10-step orchestration, restart it on the same data dir: the
instance completes and every step's side effect (keyed by its idempotency key) happened once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.e2e.conftest import StartDevhost
from tests.e2e.helpers import ApiClient, durable_key, wait_for, with_code

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
APP = "tests.e2e.apps.durable_app:app"


def _rows(state: Path, sql: str) -> list[tuple[str, ...]]:
    if not state.exists():
        return []
    db = sqlite3.connect(state, timeout=10)
    try:
        return [tuple(r) for r in db.execute(sql)]
    except sqlite3.OperationalError:  # tables not created yet
        return []
    finally:
        db.close()


def test_killed_devhost_resumes_and_each_step_happens_once(
    start_devhost: StartDevhost, tmp_path: Path
) -> None:
    state = tmp_path / "state.db"
    data_dir = tmp_path / "devhost-data"
    env = {"DURABLE_TEST_STATE": str(state)}
    first = start_devhost(app=APP, data_dir=data_dir, env=env, wait_health=False)
    key = durable_key(data_dir)
    r = ApiClient(first.url).post(
        with_code("/runtime/webhooks/durabletask/orchestrators/ten_steps/crash-1", key), '{"sleep": 0.25}'
    )
    assert r.status == 202, r

    wait_for(
        lambda: len(_rows(state, "SELECT key FROM runs")) >= 4, timeout=20, interval=0.02, message="4 steps"
    )
    first.kill()
    effects_at_kill = len(_rows(state, "SELECT key FROM effects"))
    assert 4 <= effects_at_kill < 10

    second = start_devhost(app=APP, data_dir=data_dir, env=env, wait_health=False)
    assert durable_key(data_dir) == key  # the system key is made once per data dir, then reused
    api = ApiClient(second.url)
    status_path = with_code("/runtime/webhooks/durabletask/instances/crash-1", key)
    doc = wait_for(
        lambda: (d := api.get(status_path).json())["runtimeStatus"] == "Completed" and d,
        timeout=30,
        interval=0.05,
        message="crash-1 to complete after the restart",
    )
    keys = [f"crash-1:{i}" for i in range(10)]
    assert doc["output"] == keys
    effects = _rows(state, "SELECT key FROM effects ORDER BY CAST(value AS INTEGER)")
    assert [k for (k,) in effects] == keys  # each effect exactly once, in order
    runs = [k for (k,) in _rows(state, "SELECT key FROM runs")]
    # At least once: only the step in flight at the kill may have run twice.
    assert set(runs) == set(keys) and len(runs) - len(keys) <= 1
