"""The management webhooks need the durable system key (as Azure's `code=`): refused without it,
and the SDK's unmodified DurableOrchestrationClient, fed the client binding, still reaches them."""

from __future__ import annotations

import asyncio
import json
import socket
import stat
from pathlib import Path
from typing import Any

import aiohttp
import azure.durable_functions as df
from aiohttp import web
from azure.durable_functions.models.utils import http_utils

from devhost.durable.api import ManagementApi
from devhost.durable.binding import SYSTEM_KEY_FILE, WEBHOOK_PATH, client_binding, load_system_key
from devhost.durable.engine import Engine
from devhost.durable.events import EVENT_RAISED

HUB = "TestHubName"


def _raised(engine: Engine, iid: str) -> list[str]:
    events = [json.loads(e) for e in engine.store.history(iid, sdk_only=False)]
    return [e["Name"] for e in events if e.get("EventType") == EVENT_RAISED]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_system_key_is_created_once_private_and_url_safe(tmp_path: Path) -> None:
    key = load_system_key(tmp_path)
    path = tmp_path / "keys" / SYSTEM_KEY_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "keys").stat().st_mode) == 0o700
    assert len(key) >= 32 and all(c.isalnum() or c in "-_" for c in key)
    assert load_system_key(tmp_path) == key  # reused, not replaced
    assert load_system_key(tmp_path / "other") != key


def test_client_binding_carries_the_key_everywhere_the_sdk_looks() -> None:
    key = "k3y-Value_1"
    client = df.DurableOrchestrationClient(client_binding("http://h:1", HUB, key))
    bindings = client._orchestration_bindings
    assert bindings.rpc_base_url == f"http://h:1{WEBHOOK_PATH}/rpc/{key}/"
    for name, url in bindings.management_urls.items():
        if name != "id":
            assert f"code={key}" in url, name
    for url in bindings.creation_urls.values():
        assert f"code={key}" in url
    request = func_request("http://public:7071/api/start")
    response = client.create_check_status_response(request, "order-1")
    payload = json.loads(response.get_body())
    assert payload["statusQueryGetUri"] == (
        f"http://public:7071{WEBHOOK_PATH}/instances/order-1?taskHub={HUB}&connection=Storage&code={key}"
    )
    assert f"code={key}" in payload["sendEventPostUri"] and f"code={key}" in payload["terminatePostUri"]
    assert response.headers["Location"] == payload["statusQueryGetUri"]


def func_request(url: str) -> Any:
    import azure.functions as func

    return func.HttpRequest("POST", url, body=b"")


async def _serve(engine: Engine, key: str, port: int) -> web.AppRunner:
    app = web.Application()
    app.add_routes(ManagementApi(engine, f"http://127.0.0.1:{port}", HUB, system_key=key).routes())
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


async def _close_sdk_session() -> None:
    # The SDK keeps one aiohttp session per process, bound to the loop that made it.
    session = http_utils._client_session
    http_utils._client_session = None
    if session is not None:
        await session.close()


def test_webhooks_refuse_a_missing_or_wrong_key_and_change_nothing(run: Any, tmp_path: Path) -> None:
    key = load_system_key(tmp_path)
    port = _free_port()
    base = f"http://127.0.0.1:{port}{WEBHOOK_PATH}"

    async def scenario(engine: Engine) -> None:
        runner = await _serve(engine, key, port)
        try:
            iid = engine.start_new("race", "order-7", json.dumps({"timeout": 30}))
            event = f"{base}/instances/{iid}/raiseEvent/approval"
            refused = [
                ("POST", event),
                ("POST", f"{event}?code="),
                ("POST", f"{event}?code={key[:-1]}"),
                ("POST", f"{event}?code={key}x"),
                ("POST", f"{event}?code=%C3%A9"),  # non-ASCII: refused, not a 500
                ("POST", f"{base}/rpc/{key[:-1]}/instances/{iid}/raiseEvent/approval"),
                ("POST", f"{base}/instances/{iid}/terminate?reason=x"),
                ("POST", f"{base}/orchestrators/chain/other"),
                ("DELETE", f"{base}/instances/{iid}"),
                ("DELETE", f"{base}/instances?runtimeStatus=Running"),
                ("GET", f"{base}/instances?showInput=true"),
                ("GET", f"{base}/instances/{iid}"),
            ]
            async with aiohttp.ClientSession() as http:
                for method, url in refused:
                    async with http.request(method, url, json=json.dumps({"decision": "approve"})) as r:
                        assert r.status == 401, (method, url)
                        assert r.content_type == "application/problem+json"
                        assert (await r.json())["status"] == 401
                        assert key not in await r.text()
                await asyncio.sleep(0.3)
                inst = engine.store.get(iid)
                assert inst is not None and inst.status in ("Pending", "Running")
                assert engine.store.get("other") is None
                assert not _raised(engine, iid)

                async with http.post(f"{event}?code={key}", json=json.dumps({"who": "alice"})) as r:
                    assert r.status == 202
            for _ in range(200):
                inst = engine.store.get(iid)
                if inst is not None and inst.status == "Completed":
                    break
                await asyncio.sleep(0.05)
            assert inst is not None and inst.status == "Completed"
            assert _raised(engine, iid) == ["approval"]
        finally:
            await runner.cleanup()

    run(scenario)


def test_the_sdk_client_works_with_the_binding(run: Any, tmp_path: Path) -> None:
    key = load_system_key(tmp_path)
    port = _free_port()

    async def scenario(engine: Engine) -> None:
        runner = await _serve(engine, key, port)
        try:
            client = df.DurableOrchestrationClient(client_binding(f"http://127.0.0.1:{port}", HUB, key))
            iid = await client.start_new("race", "sdk-1", {"timeout": 30})
            assert iid == "sdk-1"
            status = await client.get_status(iid, show_history=True)
            assert status.runtime_status is not None
            await client.raise_event(iid, "approval", {"who": "bob"})
            for _ in range(200):
                status = await client.get_status(iid)
                if status.runtime_status == df.OrchestrationRuntimeStatus.Completed:
                    break
                await asyncio.sleep(0.05)
            assert status.output["outcome"] == "approved"

            waiting = await client.start_new("waiter", "sdk-2")
            await client.terminate(waiting, "stop")
            listed = await client.get_status_all()
            assert {s.instance_id for s in listed} >= {"sdk-1", "sdk-2"}
            assert (await client.purge_instance_history(iid)).instances_deleted == 1
        finally:
            await _close_sdk_session()
            await runner.cleanup()

    run(scenario)
