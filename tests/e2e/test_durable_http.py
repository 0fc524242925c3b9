"""The durable engine through devhost over HTTP: starters use the SDK's unmodified
DurableOrchestrationClient with the binding devhost passes; the webhooks are called directly too."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, HttpResult, durable_key, wait_for, with_code

pytestmark = pytest.mark.e2e
APP = "tests.e2e.apps.durable_app:app"
HOOKS = "/runtime/webhooks/durabletask"


@pytest.fixture(scope="module")
def devhost(
    start_devhost_module: StartDevhost, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[DevhostProcess]:
    state = tmp_path_factory.mktemp("durable-state") / "state.db"
    yield start_devhost_module(app=APP, env={"DURABLE_TEST_STATE": str(state)}, wait_health=False)


@pytest.fixture
def api(devhost: DevhostProcess) -> ApiClient:
    return ApiClient(devhost.url)


@pytest.fixture
def key(devhost: DevhostProcess) -> str:
    return durable_key(devhost.data_dir)


def start(api: ApiClient, name: str, body: Any = None) -> dict[str, Any]:
    r = api.post(f"/api/durable/start/{name}", body)
    assert r.status == 202, r
    payload = r.json()
    assert r.header("Location") == payload["statusQueryGetUri"]
    return dict(payload)


def finished(api: ApiClient, payload: dict[str, Any], timeout: float = 20.0) -> dict[str, Any]:
    path = payload["statusQueryGetUri"].split(api.base_url, 1)[1]

    def done() -> dict[str, Any] | None:
        r = api.get(path)
        doc = r.json()
        return doc if doc.get("runtimeStatus") in ("Completed", "Failed", "Terminated") else None

    return wait_for(done, timeout=timeout, interval=0.05, message=f"instance {payload['id']}")


def test_chain_through_the_sdk_client(api: ApiClient) -> None:
    payload = start(api, "chain", {"start": 1, "steps": 4})
    assert set(payload) >= {
        "id",
        "statusQueryGetUri",
        "sendEventPostUri",
        "terminatePostUri",
        "purgeHistoryDeleteUri",
    }
    doc = finished(api, payload)
    assert (doc["runtimeStatus"], doc["output"], doc["input"]) == ("Completed", 5, {"start": 1, "steps": 4})
    via_client = api.get(f"/api/durable/status/{payload['id']}").json()
    assert via_client["runtimeStatus"] == "Completed" and via_client["output"] == 5
    assert via_client["historyLength"] >= 10  # get_status(show_history=True) reads the history


def test_fan_out_of_100_over_http(api: ApiClient) -> None:
    doc = finished(api, start(api, "fan_out", 100))
    assert doc["output"] == sum(i * i for i in range(100))


def test_raise_event_through_the_client_beats_the_timer(api: ApiClient) -> None:
    payload = start(api, "race", {"timeout": 30})
    r = api.post(f"/api/durable/event/{payload['id']}/approval", {"who": "alice"})
    assert r.status == 202, r
    doc = finished(api, payload)
    # As on Azure, the client's JSON body reaches the orchestrator as a JSON string.
    assert doc["output"]["outcome"] == "approved"
    assert json.loads(doc["output"]["by"]) == {"who": "alice"}


def test_terminate_through_the_client(api: ApiClient) -> None:
    payload = start(api, "waiter")
    wait_for(lambda: api.get(f"/api/durable/status/{payload['id']}").json()["customStatus"], timeout=10)
    r = api.post(f"/api/durable/terminate/{payload['id']}")
    assert (r.status, r.text) == (200, "Terminated")
    doc = api.get(payload["statusQueryGetUri"].split(api.base_url, 1)[1]).json()
    assert doc["runtimeStatus"] == "Terminated" and doc["output"] == "stopped by test"


def test_sub_orchestration_and_compensation_over_http(api: ApiClient) -> None:
    doc = finished(api, start(api, "parent"))
    assert doc["output"] == {"first": 12, "both": [1, 2], "child_ok": True}


def test_list_and_purge_through_the_client(api: ApiClient) -> None:
    done = finished(api, start(api, "chain", {"steps": 1}))
    running = start(api, "waiter")
    listed = api.get("/api/durable/list").json()
    assert done["instanceId"] in listed["all"] and running["id"] in listed["all"]
    assert done["instanceId"] in listed["completed"] and running["id"] not in listed["completed"]
    assert api.post(f"/api/durable/purge/{done['instanceId']}").text == "1"
    assert api.post(f"/api/durable/purge/{done['instanceId']}").text == "0"  # 404 -> nothing deleted
    api.post(f"/api/durable/terminate/{running['id']}")


def test_management_webhooks(api: ApiClient, devhost: DevhostProcess, key: str) -> None:
    def hook(path: str) -> str:
        return with_code(f"{HOOKS}{path}", key)

    missing = api.get(hook("/instances/nope"))
    assert missing.status == 404
    r = api.post(hook("/orchestrators/nope"), "x")
    assert r.status == 400 and "nope" in r.json()["ExceptionMessage"]

    r = api.post(hook("/orchestrators/chain/hook-1"), json.dumps({"steps": 1}))
    assert r.status == 202 and r.json()["id"] == "hook-1"
    assert f"code={key}" in r.json()["statusQueryGetUri"]
    doc = finished(api, r.json())
    assert doc["output"] == 1
    status = api.get(hook("/instances/hook-1?showHistory=true&showHistoryOutput=true"))
    assert status.status == 200
    kinds = [e["EventType"] for e in status.json()["historyEvents"]]
    assert kinds[:2] == ["OrchestratorStarted", "ExecutionStarted"] and "TaskCompleted" in kinds

    listed = api.get(hook("/instances/?runtimeStatus=Completed&instanceIdPrefix=hook-")).json()
    assert [d["instanceId"] for d in listed] == ["hook-1"]
    assert api.post(hook("/instances/hook-1/raiseEvent/x"), "1").status == 410
    assert api.delete(hook("/instances/hook-1")).json() == {"instancesDeleted": 1}
    assert api.get(hook("/instances/hook-1")).status == 404

    cli = subprocess.run(
        [
            sys.executable,
            "-m",
            "devhost",
            "instances",
            "--data-dir",
            str(devhost.data_dir),
            "--status",
            "Completed",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=_env(),
    )
    assert cli.returncode == 0, cli.stderr
    assert "chain" in cli.stdout and "Completed" in cli.stdout


def _env() -> dict[str, str]:
    import os

    return {**os.environ, "PYTHONPATH": str(Path(ROOT))}


def _refused(r: HttpResult) -> bool:
    return (
        r.status == 401
        and r.content_type.startswith("application/problem+json")
        and r.json()["status"] == 401
    )


def test_webhooks_refuse_calls_without_the_system_key(api: ApiClient, key: str) -> None:
    payload = start(api, "race", {"timeout": 30})
    iid = payload["id"]
    # The URLs handed out carry the key, as on Azure; the same paths without it are refused.
    for name in ("statusQueryGetUri", "sendEventPostUri", "terminatePostUri", "purgeHistoryDeleteUri"):
        assert f"code={key}" in payload[name], name
    wrong = "x" * len(key)
    event = f"{HOOKS}/instances/{iid}/raiseEvent/approval"
    rpc_event = f"{HOOKS}/rpc/{wrong}/instances/{iid}/raiseEvent/approval"
    for path in (event, f"{event}?code=", f"{event}?code={wrong}", rpc_event):
        assert _refused(api.post(path, {"who": "mallory"})), path
    assert _refused(api.post(f"{HOOKS}/instances/{iid}/terminate?reason=x"))
    assert _refused(api.delete(f"{HOOKS}/instances/{iid}"))
    assert _refused(api.delete(f"{HOOKS}/instances?runtimeStatus=Running"))
    assert _refused(api.get(f"{HOOKS}/instances?showInput=true"))
    assert _refused(api.get(f"{HOOKS}/instances/{iid}"))
    assert _refused(api.get(f"{HOOKS}/rpc/{wrong}/instances/{iid}"))
    assert _refused(api.post(f"{HOOKS}/orchestrators/chain/unauth-1", "{}"))
    assert _refused(api.post(f"{HOOKS}/instances/{iid}/rewind"))

    # Nothing changed: the instance still runs, no event reached it, nothing was started.
    status = api.get(with_code(f"{HOOKS}/instances/{iid}?showHistory=true", key))
    assert status.status == 202 and status.json()["runtimeStatus"] in ("Pending", "Running"), status
    assert all(e["EventType"] != "EventRaised" for e in status.json()["historyEvents"])
    assert api.get(with_code(f"{HOOKS}/instances/unauth-1", key)).status == 404

    # With the key (query or rpc segment) the same calls work.
    assert api.post(with_code(event, key), {"who": "alice"}).status == 202
    doc = finished(api, payload)
    assert doc["output"]["outcome"] == "approved" and "alice" in json.dumps(doc["output"]["by"])
    assert api.get(f"{HOOKS}/rpc/{key}/instances/{iid}").json()["runtimeStatus"] == "Completed"
