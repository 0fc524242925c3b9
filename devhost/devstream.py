"""devhost's stand-in for Azure SignalR Service: a server-sent-events stream of order updates.

Loaded by devhost as a host extension (devhost/services.py lists it); it is never imported by
`function_app`. It serves `GET /api/realtime/stream` on devhost's own server (an HTTP function
cannot stream) and answers the negotiate function's `signalRConnectionInfo` binding with that
URL, so clients use the same negotiate-then-connect flow locally and in Azure.

The stream authenticates with the app's own bearer tokens: in the `Authorization` header or,
since browsers' EventSource cannot set headers, the `access_token` query parameter (as SignalR
clients do).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import web

from shared.http.auth import user_id_for, verify_token
from shared.kernel.errors import DomainError
from shared.notifications.realtime import LOCAL_HUB, LocalHub

log = logging.getLogger("smartcommerce.notifications.realtime")

HEARTBEAT_SECONDS = 15.0
POLL_SECONDS = 0.5  # how often a stream notices a closed client or a stopping host


def _problem(status: int, code: str, detail: str) -> web.Response:
    body = {
        "type": f"urn:smartcommerce:problem:{code}",
        "title": "Unauthorized",
        "status": status,
        "detail": detail,
        "code": code,
    }
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        content_type="application/problem+json",
        headers={"WWW-Authenticate": "Bearer"},
    )


def sse_frame(message: dict[str, Any]) -> bytes:
    event = str(message.get("type") or "message")
    lines = [f"event: {event}"]
    if message.get("eventId"):
        lines.insert(0, f"id: {message['eventId']}")
    lines.append("data: " + json.dumps(message, separators=(",", ":")))
    return ("\n".join(lines) + "\n\n").encode()


async def _nothing() -> None:
    return None


class RealtimeStreamExtension:
    name = "notifications-realtime"

    def __init__(self, hub: LocalHub = LOCAL_HUB) -> None:
        self.hub = hub
        self.stopping = asyncio.Event()
        self.base_url = ""
        self.prefix = "/api"

    async def start(self, host: Any) -> None:
        self.base_url = str(host.base_url)
        route_prefix = str(getattr(host.config, "route_prefix", "api")).strip("/")
        self.prefix = f"/{route_prefix}" if route_prefix else ""
        # devhost stops its HTTP server (waiting for open requests) before it stops extensions, so
        # open streams must learn of the shutdown earlier: `host.every` tasks end as soon as the
        # host starts stopping, and that is the signal used here.
        watch = host.every(3600.0, _nothing)
        watch.add_done_callback(lambda _: self.stopping.set())

    async def stop(self) -> None:
        self.stopping.set()

    def routes(self) -> list[web.RouteDef]:
        return [web.get(f"{self.prefix}/realtime/stream", self.stream)]

    def binding_value(self, fn: Any, binding: dict[str, Any]) -> Any | None:
        if str(binding.get("type", "")).lower() != "signalrconnectioninfo":
            return None
        # No token of its own: the stream accepts the caller's bearer token (the negotiate
        # function hands it back), as Azure's binding would hand out a SignalR access token.
        return json.dumps({"url": f"{self.base_url}{self.prefix}/realtime/stream", "accessToken": ""})

    async def stream(self, request: web.Request) -> web.StreamResponse:
        header = request.headers.get("Authorization", "")
        token = (
            header[7:].strip() if header.lower().startswith("bearer ") else request.query.get("access_token")
        )
        if not token:
            return _problem(401, "unauthorized", "a bearer token is required")
        try:
            principal = await asyncio.get_running_loop().run_in_executor(None, verify_token, token)
        except DomainError as exc:
            return _problem(401, exc.code, exc.detail or "the token was refused")
        user_id = user_id_for(principal.sub)  # the id orders carry as customerId
        queue = self.hub.subscribe(user_id)
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        try:
            await response.prepare(request)
            # Tells the client its subscription is live: updates from now on reach it.
            await response.write(sse_frame({"type": "connected", "userId": user_id}))
            await self._pump(request, response, queue)
        except ConnectionResetError:
            pass  # the client went away
        finally:
            self.hub.unsubscribe(user_id, queue)
        return response

    async def _pump(
        self, request: web.Request, response: web.StreamResponse, queue: asyncio.Queue[dict[str, Any]]
    ) -> None:
        idle = 0.0
        while not self.stopping.is_set():
            if request.transport is None or request.transport.is_closing():
                return
            try:
                message = await asyncio.wait_for(queue.get(), POLL_SECONDS)
            except TimeoutError:
                idle += POLL_SECONDS
                if idle >= HEARTBEAT_SECONDS:
                    idle = 0.0
                    await response.write(b": keep-alive\n\n")
                continue
            idle = 0.0
            await response.write(sse_frame(message))
        with contextlib.suppress(ConnectionResetError):
            await response.write_eof()
