"""A test app plus a test HostExtension, to check devhost's extension seam end to end.

The extension supplies a custom input binding (`type="greeting"`), mounts a route outside the
/api prefix, runs a periodic job through `host.every`, and invokes a function itself through
`host.invoke` (as the durable engine does for activities).
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import azure.functions as func
from aiohttp import web

from devhost.extensions import BaseExtension
from devhost.index import FunctionInfo

if TYPE_CHECKING:
    from devhost.host import Host

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route("greet/{name:alpha}", methods=["GET"])
@app.generic_input_binding(arg_name="greeting", type="greeting")
def greet(req: func.HttpRequest, greeting: str) -> func.HttpResponse:
    return func.HttpResponse(f"{greeting}, {req.route_params['name']}!")


@app.route("double", methods=["POST"])
async def double(req: func.HttpRequest) -> func.HttpResponse:
    value = int(req.get_json()["value"])
    return func.HttpResponse(json.dumps({"value": value * 2}), mimetype="application/json")


class GreetingExtension(BaseExtension):
    name = "greeting"

    async def start(self, host: Host) -> None:
        self.host = host
        self.ticks = 0
        self.started_with = {
            "baseUrl": host.base_url,
            "dataDir": str(host.data_dir),
            "functions": sorted(f.name for f in host.functions),
        }

        def tick() -> None:
            self.ticks += 1

        host.every(0.1, tick)

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/runtime/webhooks/greeting/info", self._info),
            web.post("/runtime/webhooks/greeting/invoke/{fn}", self._invoke),
            # Under the route prefix too (like the dev realtime stream): must win over functions.
            web.get("/api/greet/{name}/raw", self._raw),
        ]

    async def _raw(self, request: web.Request) -> web.Response:
        return web.Response(text=f"raw {request.match_info['name']}")

    async def _info(self, request: web.Request) -> web.Response:
        return web.json_response({**self.started_with, "ticks": self.ticks})

    async def _invoke(self, request: web.Request) -> web.Response:
        fn = self.host.functions.get(request.match_info["fn"])
        if fn is None:
            return web.json_response({"error": "no such function"}, status=404)
        body = await request.read()
        req = func.HttpRequest("POST", "http://internal/double", headers={}, body=body)
        resp = await self.host.invoke(fn, **{fn.param_name: req})
        return web.Response(body=resp.get_body(), content_type="application/json")

    def binding_value(self, fn: FunctionInfo, binding: dict[str, Any]) -> Any | None:
        return "Hello" if binding.get("type") == "greeting" else None
