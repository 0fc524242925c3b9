"""The SDK client's two hot calls answered in-process instead of over loopback HTTP.

`DurableOrchestrationClient.start_new` and `get_status` POST/GET devhost's own management
webhooks (`rpcBaseUrl`, devhost/durable/binding.py). In devhost the app and the webhooks share
one process and one event loop, so each call was an HTTP request to ourselves: the client's
aiohttp request, the server's parsing and routing and the JSON both ways, about a third of
`POST /orders` (docs/performance.md). Calls to this host's rpc base URL with the right system key
for those two routes now go straight to the same `ManagementApi` methods the routes use, with the
same status codes and JSON bodies (round-tripped through JSON, so the client gets fresh objects
as it would from the wire). Every other call, a wrong key, another host's URL, goes over HTTP as
before, so the webhooks' own behaviour (and their tests) is unchanged.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, unquote, urlsplit

import orjson

if TYPE_CHECKING:
    from devhost.durable.api import ManagementApi

_CLIENT_MODULE = "azure.durable_functions.models.DurableOrchestrationClient"
Request = Callable[..., Awaitable[list[Any]]]

# rpc base URL (with its trailing slash, system key included) -> the host's management API.
_hosts: dict[str, ManagementApi] = {}
_installed = False


def register(rpc_base_url: str, api: ManagementApi, system_key: str) -> None:
    """Answer this host's rpc calls in-process (once the client module is patched)."""
    if not rpc_base_url.endswith(f"/{system_key}/"):
        raise ValueError("the rpc base URL must end with the system key segment")
    _install()
    _hosts[rpc_base_url] = api


def unregister(rpc_base_url: str) -> None:
    _hosts.pop(rpc_base_url, None)


def _route(url: str) -> tuple[ManagementApi, str, dict[str, str]] | None:
    for base, api in _hosts.items():
        if url.startswith(base):
            parts = urlsplit(url[len(base) :])
            return api, parts.path, dict(parse_qsl(parts.query))
    return None


def _wire(body: Any) -> Any:
    return orjson.loads(orjson.dumps(body))


def _json_text(data: Any) -> str:
    # What aiohttp's `json=data` puts on the wire, read back by the route as `request.text()`.
    return "" if data is None else orjson.dumps(data).decode()


def local_post(original: Request) -> Request:
    async def post(url: str, data: Any = None, *args: Any, **kwargs: Any) -> list[Any]:
        found = _route(url)
        if found is not None:
            api, path, query = found
            segments = path.split("/")
            if segments[0] == "orchestrators" and len(segments) in (2, 3) and set(query) <= {"version"}:
                iid = unquote(segments[2]) if len(segments) == 3 else None
                status, body, _ = api.start_instance(unquote(segments[1]), iid, _json_text(data))
                return [status, _wire(body)]
        return await original(url, data, *args, **kwargs)

    return post


def local_get(original: Request) -> Request:
    async def get(url: str, *args: Any, **kwargs: Any) -> list[Any]:
        found = _route(url)
        if found is not None:
            api, path, query = found
            segments = path.split("/")
            if segments[0] == "instances" and len(segments) == 2 and segments[1]:
                status, body = api.instance_status(unquote(segments[1]), query)
                return [status, _wire(body)]
        return await original(url, *args, **kwargs)

    return get


def _install() -> None:
    """Wrap the names the client module binds at import (each client copies them in __init__)."""
    global _installed
    if _installed:
        return
    module = importlib.import_module(_CLIENT_MODULE)
    module.post_async_request = local_post(module.post_async_request)  # type: ignore[attr-defined]
    module.get_async_request = local_get(module.get_async_request)  # type: ignore[attr-defined]
    _installed = True
