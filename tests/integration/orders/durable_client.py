"""The SDK's real DurableOrchestrationClient, talking HTTP to devhost's management webhooks over the
harness's engine (on a free 127.0.0.1 port), so the orders triggers' client calls (get_status,
start_new, raise_event) meet the same answers as under devhost: 404 for no instance, 409 for a
duplicate start of a live one, 410 for an event to a finished one."""

from __future__ import annotations

import contextlib
import secrets
import socket
from collections.abc import AsyncIterator

import azure.durable_functions as df
from aiohttp import web
from azure.durable_functions.models.utils import http_utils

from devhost.durable.api import ManagementApi
from devhost.durable.binding import client_binding
from devhost.durable.engine import Engine

HUB = "TestHubName"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.asynccontextmanager
async def durable_client(engine: Engine) -> AsyncIterator[df.DurableOrchestrationClient]:
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    app = web.Application()
    key = secrets.token_urlsafe(32)
    app.add_routes(ManagementApi(engine, base, HUB, system_key=key).routes())
    runner = web.AppRunner(app)
    await runner.setup()
    try:
        await web.TCPSite(runner, "127.0.0.1", port).start()
        yield df.DurableOrchestrationClient(client_binding(base, HUB, key))
    finally:
        # The SDK keeps one aiohttp session per process, bound to the loop that made it; each test
        # runs its own loop, so close it here and let the next test's client make a new one.
        session = http_utils._client_session
        http_utils._client_session = None
        if session is not None:
            await session.close()
        await runner.cleanup()
