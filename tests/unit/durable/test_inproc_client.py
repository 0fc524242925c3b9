"""The SDK client's start_new/get_status answered in-process (devhost/durable/inproc.py).

The binding points at a host nobody listens on: a call that went over HTTP would fail to
connect, so a passing call proves it stayed in-process; anything else still takes the wire.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiohttp
import azure.durable_functions as df
import pytest

from devhost.durable import inproc
from devhost.durable.api import ManagementApi
from devhost.durable.binding import client_binding, rpc_base_url
from devhost.durable.engine import Engine
from tests.unit.durable.conftest import ACTIVITIES, ORCHESTRATORS

NOBODY = "http://127.0.0.1:9"  # the discard port: nothing answers HTTP there
KEY = "k3y-for-tests"


async def _with_client(tmp_path: Path, scenario: Any) -> Any:
    engine = Engine(tmp_path / "durable.db", ORCHESTRATORS, ACTIVITIES, poll_seconds=0.05)
    await engine.start()
    base = rpc_base_url(NOBODY, KEY)
    inproc.register(base, ManagementApi(engine, NOBODY, "hub", system_key=KEY), KEY)
    try:
        return await scenario(engine, df.DurableOrchestrationClient(client_binding(NOBODY, "hub", KEY)))
    finally:
        inproc.unregister(base)
        await engine.stop()


def test_start_new_and_get_status_need_no_http(tmp_path: Path) -> None:
    async def scenario(engine: Engine, client: df.DurableOrchestrationClient) -> Any:
        iid = await client.start_new("chain", "c-1", {"start": 1, "steps": 2})
        await engine.wait(iid)
        status = await client.get_status(iid, show_history=True)
        missing = await client.get_status("nope")
        with pytest.raises(Exception, match="already exists"):
            await client.start_new("waiter", "w-1", None)
            await client.start_new("waiter", "w-1", None)
        return iid, status, missing

    iid, status, missing = asyncio.run(_with_client(tmp_path, scenario))
    assert iid == "c-1"
    assert status.runtime_status.value == "Completed"
    assert status.output == 3
    assert status.input_ == {"start": 1, "steps": 2}
    assert len(status.historyEvents) >= 6
    assert missing.runtime_status is None  # 404: the SDK's empty status, as over HTTP


def test_an_unknown_orchestrator_is_the_same_400(tmp_path: Path) -> None:
    async def scenario(engine: Engine, client: df.DurableOrchestrationClient) -> Any:
        with pytest.raises(Exception, match="doesn't exist"):
            await client.start_new("no_such_orchestrator", None, None)
        return True

    assert asyncio.run(_with_client(tmp_path, scenario))


def test_other_calls_and_wrong_keys_still_go_over_http(tmp_path: Path) -> None:
    async def scenario(engine: Engine, client: df.DurableOrchestrationClient) -> Any:
        with pytest.raises(aiohttp.ClientError):  # raise_event is not short-circuited
            await client.raise_event("x", "go", None)
        stranger = df.DurableOrchestrationClient(client_binding(NOBODY, "hub", "another-key"))
        with pytest.raises(aiohttp.ClientError):
            await stranger.start_new("chain", None, {"start": 1, "steps": 1})
        return engine.store.get("x")

    assert asyncio.run(_with_client(tmp_path, scenario)) is None
