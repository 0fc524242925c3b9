"""Issue 2's end-to-end checks: devhost as a subprocess, everything over HTTP or the bus file.

Uses tests/e2e/apps/foundation_app.py (the real edge API + ops blueprint + bus/timer triggers).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.localbus import LocalBus, load_topology
from shared.ports.messaging import BusMessage
from tests.e2e.apps import foundation_app as fa
from tests.e2e.conftest import ROOT, DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, wait_for

pytestmark = pytest.mark.e2e

APP = "tests.e2e.apps.foundation_app:app"


def records(dh: DevhostProcess, kind: str) -> list[dict[str, Any]]:
    path = dh.data_dir / f"{kind}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def send(dh: DevhostProcess, queue: str, count: int) -> list[str]:
    """Send from this (other) process straight into devhost's bus file."""
    ids = [uuid.uuid4().hex for _ in range(count)]
    bus = LocalBus(dh.data_dir / "bus.db", load_topology())
    bus.send(queue, [BusMessage(i, json.dumps({"id": i}).encode(), "Command") for i in ids])
    bus.close()
    return ids


@pytest.fixture(scope="module")
def dh(start_devhost_module: StartDevhost) -> Iterator[DevhostProcess]:
    yield start_devhost_module(app=APP)


@pytest.fixture(scope="module")
def api(dh: DevhostProcess) -> ApiClient:
    return ApiClient(dh.url)


# --- HTTP --------------------------------------------------------------------------------------------
def test_route_with_path_parameter(api: ApiClient) -> None:
    r = api.get("/api/items/42")
    assert r.status == 200, r
    assert r.json() == {"itemId": 42, "name": "item 42"}
    assert r.header("x-correlation-id")


def test_route_constraint_and_unknown_paths_are_problem_404(api: ApiClient) -> None:
    for path in ("/api/items/not-a-number", "/api/nothing-here", "/elsewhere"):
        r = api.get(path)
        assert r.status == 404, (path, r)
        assert r.content_type.startswith("application/problem+json")


def test_wrong_method_is_405_with_allow(api: ApiClient) -> None:
    r = api.delete("/api/items/1")
    assert r.status == 405, r
    assert r.header("Allow") == "GET" and r.json()["status"] == 405


def test_auth_401_403_200(api: ApiClient) -> None:
    assert api.get("/api/reports/sales").status == 401
    customer = api.dev_token(roles=["customer"])
    denied = api.get("/api/reports/sales", token=customer)
    assert denied.status == 403, denied
    assert denied.content_type.startswith("application/problem+json")
    admin = api.dev_token("boss", roles=["admin"])
    ok = api.get("/api/reports/sales", token=admin)
    assert ok.status == 200, ok
    assert ok.json()["viewer"] == "boss"


def test_malformed_json_is_400_problem(api: ApiClient) -> None:
    r = api.request(
        "POST", "/api/drafts", data=b'{"customerName": ', headers={"Content-Type": "application/json"}
    )
    assert r.status == 400, r
    assert r.content_type.startswith("application/problem+json")
    assert r.json()["status"] == 400


def test_invalid_body_is_422_naming_the_field(api: ApiClient) -> None:
    r = api.post("/api/drafts", {"customerName": "Ada", "items": [{"sku": "A-1", "quantity": 0}]})
    assert r.status == 422, r
    fields = [e["field"] for e in r.json()["errors"]]
    assert "items[0].quantity" in fields
    ok = api.post("/api/drafts", {"customerName": "Ada", "items": [{"sku": "A-1", "quantity": 2}]})
    assert ok.status == 201 and ok.json() == {"customerName": "Ada", "lines": 1}


def test_body_over_10_mb_is_413(api: ApiClient) -> None:
    r = api.request("POST", "/api/drafts", data=b"x" * (10 * 1024 * 1024 + 1))
    assert r.status == 413, r


# --- Service Bus -------------------------------------------------------------------------------------
def test_published_event_reaches_the_topic_trigger(api: ApiClient) -> None:
    r = api.post("/api/publish", {"count": 3, "eventType": "ThingHappened"})
    assert r.status == 202, r
    ids = set(r.json()["messageIds"])

    def delivered() -> list[dict[str, Any]]:
        got = [m for m in api.get("/api/received").json()["messages"] if m["messageId"] in ids]
        return got if len(got) == 3 else []

    got = wait_for(delivered, timeout=15, message="3 published events to be handled")
    assert {m["type"] for m in got} == {"ThingHappened"}
    assert all(m["deliveryCount"] == 1 and m["correlationId"] for m in got)


def test_message_from_another_process_is_delivered(dh: DevhostProcess) -> None:
    bus = LocalBus(dh.data_dir / "bus.db", load_topology())
    mid = uuid.uuid4().hex
    bus.publish(fa.TOPIC, [BusMessage(mid, b"{}", "Other", application_properties={"type": "Other"})])
    wait_for(
        lambda: any(m["messageId"] == mid for m in records(dh, "received")),
        timeout=15,
        message="a cross-process message",
    )


def _deadletters(dh: DevhostProcess, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devhost", "deadletters", "--data-dir", str(dh.data_dir), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


def test_failing_message_is_dead_lettered_after_max_deliveries_and_replayable(dh: DevhostProcess) -> None:
    [mid] = send(dh, fa.POISON_QUEUE, 1)

    def listed() -> list[dict[str, Any]]:
        out = _deadletters(dh, "list", "--json")
        assert out.returncode == 0, out.stderr
        return [d for d in json.loads(out.stdout) if d["messageId"] == mid]

    [letter] = wait_for(listed, timeout=30, message="the poison message in the dead-letter store")
    assert letter["deliveryCount"] == 5 and letter["entity"] == fa.POISON_QUEUE
    assert "RuntimeError: poison message" in letter["description"]
    attempts = [r["deliveryCount"] for r in records(dh, "poison") if r["messageId"] == mid]
    assert attempts == [1, 2, 3, 4, 5]
    text = _deadletters(dh)
    assert mid in text.stdout and "MaxDeliveryCountExceeded" in text.stdout

    replay = _deadletters(dh, "replay", str(letter["id"]))
    assert replay.returncode == 0, replay.stderr
    wait_for(
        lambda: len([r for r in records(dh, "poison") if r["messageId"] == mid]) > 5,
        timeout=15,
        message="the replayed message to be delivered again",
    )


# --- timers ------------------------------------------------------------------------------------------
def test_timer_fires(dh: DevhostProcess) -> None:
    ticks = wait_for(
        lambda: records(dh, "tick") if len(records(dh, "tick")) >= 2 else None,
        timeout=10,
        message="two timer ticks",
    )
    assert ticks[1]["at"] > ticks[0]["at"]


# --- crashes -----------------------------------------------------------------------------------------
def test_sigkill_with_queued_messages_loses_none(start_devhost: StartDevhost, tmp_path: Path) -> None:
    data_dir = tmp_path / "crash"
    first = start_devhost(app=APP, data_dir=data_dir)
    wait_for(lambda: records(first, "tick"), timeout=10, message="a first tick (so a run is on record)")
    ids = send(first, fa.SLOW_QUEUE, 40)
    wait_for(lambda: records(first, "slow"), timeout=15, message="the first slow message")
    first.kill()
    killed_at = time.monotonic()
    handled_before = {r["messageId"] for r in records(first, "slow")}
    assert 0 < len(handled_before) < 40, "the kill must happen with messages still queued"

    # Stay down over at least one whole timer occurrence so the restart sees it past due.
    time.sleep(max(0.0, 2.5 - (time.monotonic() - killed_at)))
    second = start_devhost(app=APP, data_dir=data_dir)
    wait_for(
        lambda: {r["messageId"] for r in records(second, "slow")} >= set(ids),
        timeout=30,
        message="every queued message handled after the restart",
    )
    bus = LocalBus(data_dir / "bus.db", load_topology())
    wait_for(lambda: bus.count(fa.SLOW_QUEUE) == 0, timeout=10, message="the queue to drain")
    assert bus.dead_letters(fa.SLOW_QUEUE) == []
    wait_for(
        lambda: [r for r in records(second, "tick") if r["pid"] == second.proc.pid],
        timeout=5,
        message="a tick after the restart",
    )
    after = [r for r in records(second, "tick") if r["pid"] == second.proc.pid]
    assert after[0]["pastDue"] is True


def test_sigterm_finishes_in_flight_work_and_exits_cleanly(
    start_devhost: StartDevhost, tmp_path: Path
) -> None:
    data_dir = tmp_path / "graceful"
    # Slow enough (1.5 s) that the status poll below sees the five running even on a busy machine.
    env = {"FOUNDATION_SLOW_SECONDS": "1.5"}
    first = start_devhost(app=APP, data_dir=data_dir, env=env)
    ids = send(first, fa.SLOW_QUEUE, 5)
    status = ApiClient(first.url)
    # inFlight counts every invocation, the app's every-second timer too: > 0 could be a tick
    # seen before the pump (which polls for other processes' sends) had received the 5, and the
    # stop then rightly left them queued. The 5 arrive in one batch: >= 5 means they are running.
    wait_for(
        lambda: status.get("/runtime/devhost/status").json()["inFlight"] >= 5,
        timeout=10,
        interval=0.02,
        message="slow work in flight",
    )
    started = time.monotonic()
    assert first.stop() == 0
    assert time.monotonic() - started < 15
    assert "devhost stopped" in first.log()
    # All 5 were received in one batch (maxConcurrentCalls 16) and allowed to finish.
    assert {r["messageId"] for r in records(first, "slow")} == set(ids)
    second = start_devhost(app=APP, data_dir=data_dir)
    wait_for(
        lambda: {r["messageId"] for r in records(second, "slow")} >= set(ids),
        timeout=20,
        message="all messages handled across a graceful restart",
    )
