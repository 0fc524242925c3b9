"""The management webhooks under /runtime/webhooks/durabletask/, in the shapes the SDK's
DurableOrchestrationClient sends and parses, so starters work unchanged.

Request bodies: the client posts `json=df_dumps(x)` (start_new) or `json=json.dumps(x)`
(raise_event), so a body is a JSON string that holds JSON. Inputs are stored as that inner text;
an event's data is stored as the raw body, exactly what Azure's extension hands the orchestrator
(so a dict raised as an event arrives as a str there too — orchestrators parse defensively).

Authentication, as on Azure: every route needs the durable system key, either as `code=<key>`
(the management URLs) or as the path segment of the rpc base URL (`.../durabletask/rpc/<key>/...`,
which the SDK's client uses). Without it, or with a wrong one, the answer is 401 problem+json and
nothing is read or changed (the check runs before the body is read).
"""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from devhost.durable import operations
from devhost.durable.binding import RPC_SEGMENT, WEBHOOK_PATH, management_urls
from devhost.durable.engine import Engine
from devhost.durable.operations import Outcome
from devhost.durable.status import http_status_code, status_document

_TRUE = ("true", "1", "yes")


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in _TRUE


def _error_body(message: str) -> dict[str, Any]:
    return {"Message": message, "ExceptionMessage": message}


def _error(status: int, message: str) -> web.Response:
    return web.json_response(_error_body(message), status=status)


def _input_from_body(text: str) -> str | None:
    if not text.strip():
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return json.dumps(text)  # not JSON at all: keep it as a string input
    return value if isinstance(value, str) else json.dumps(value)


_Handler = Callable[[web.Request], Awaitable[web.Response]]
_KEY_MATCH = "systemKey"


def _unauthorized() -> web.Response:
    body = {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "the durable management webhooks need the system key (code=...)",
        "code": "unauthorized",
    }
    return web.Response(status=401, body=json.dumps(body).encode(), content_type="application/problem+json")


class ManagementApi:
    def __init__(self, engine: Engine, base_url: str, hub: str, *, system_key: str) -> None:
        if not system_key:
            raise ValueError("the durable management webhooks need a non-empty system key")
        self.engine, self.base_url, self.hub = engine, base_url.rstrip("/"), hub
        self._key = system_key.encode()

    def _authorized(self, request: web.Request) -> bool:
        given = request.match_info.get(_KEY_MATCH)
        if given is None:
            given = request.query.get("code", "")
        return self.authorized_key(given)

    def _guard(self, handler: _Handler) -> _Handler:
        async def guarded(request: web.Request) -> web.Response:
            if not self._authorized(request):
                return _unauthorized()
            return await handler(request)

        return guarded

    def routes(self) -> list[web.RouteDef]:
        table: list[tuple[str, str, _Handler]] = [
            ("POST", "/orchestrators/{name}", self.start),
            ("POST", "/orchestrators/{name}/{instanceId}", self.start),
            ("GET", "/instances", self.list_instances),
            ("GET", "/instances/", self.list_instances),
            ("DELETE", "/instances", self.purge_many),
            ("DELETE", "/instances/", self.purge_many),
            ("GET", "/instances/{instanceId}", self.get_status),
            ("DELETE", "/instances/{instanceId}", self.purge),
            ("POST", "/instances/{instanceId}/raiseEvent/{eventName}", self.raise_event),
            ("POST", "/instances/{instanceId}/terminate", self.terminate),
            ("POST", "/instances/{instanceId}/{operation}", self.not_supported),
        ]
        prefixes = (WEBHOOK_PATH, f"{WEBHOOK_PATH}/{RPC_SEGMENT}/{{{_KEY_MATCH}}}")
        return [
            web.route(method, prefix + suffix, self._guard(handler))
            for prefix in prefixes
            for method, suffix, handler in table
        ]

    async def start(self, request: web.Request) -> web.Response:
        status, body, headers = self.start_instance(
            request.match_info["name"], request.match_info.get("instanceId"), await request.text()
        )
        return web.json_response(body, status=status, headers=headers)

    def start_instance(
        self, name: str, instance_id: str | None, text: str
    ) -> tuple[int, dict[str, Any], dict[str, str]]:
        """POST /orchestrators/{name}[/{instanceId}] (also called in-process, devhost/durable/inproc.py)."""
        input_json = _input_from_body(text)
        try:
            iid = self.engine.start_new(name, instance_id, input_json)
        except LookupError as exc:
            return 400, _error_body(str(exc)), {}
        except FileExistsError as exc:
            return 409, _error_body(str(exc)), {}
        urls = management_urls(self.base_url, self.hub, iid, self._key.decode())
        return 202, urls, {"Location": urls["statusQueryGetUri"]}

    async def get_status(self, request: web.Request) -> web.Response:
        status, body = self.instance_status(request.match_info["instanceId"], request.query)
        return web.json_response(body, status=status)

    def instance_status(self, iid: str, query: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """GET /instances/{instanceId} (also called in-process, devhost/durable/inproc.py)."""
        inst = self.engine.store.get(iid)
        if inst is None:
            return 404, _error_body(f"No instance with ID '{iid}' found.")
        show_history = query.get("showHistory", "").lower() in _TRUE
        history = self.engine.store.history(iid, sdk_only=False) if show_history else None
        doc = status_document(
            inst,
            history,
            show_input=query.get("showInput", "true").lower() != "false",
            show_history_output=query.get("showHistoryOutput", "").lower() in _TRUE,
        )
        return http_status_code(inst.status), doc

    def authorized_key(self, given: str) -> bool:
        return hmac.compare_digest(given.encode(), self._key)

    def _filtered(self, request: web.Request) -> list[Any]:
        q = request.query
        statuses = [s for s in q.get("runtimeStatus", "").split(",") if s]
        return self.engine.store.list_instances(
            statuses=statuses or None,
            prefix=q.get("instanceIdPrefix") or None,
            created_from=q.get("createdTimeFrom") or None,
            created_to=q.get("createdTimeTo") or None,
            limit=int(q.get("top", "1000")),
        )

    async def list_instances(self, request: web.Request) -> web.Response:
        show_input = _flag(request, "showInput")
        return web.json_response([status_document(i, show_input=show_input) for i in self._filtered(request)])

    async def raise_event(self, request: web.Request) -> web.Response:
        text = await request.text()
        outcome = self.engine.raise_event(
            request.match_info["instanceId"], request.match_info["eventName"], text if text.strip() else None
        )
        return self._answer(outcome, request.match_info["instanceId"])

    async def terminate(self, request: web.Request) -> web.Response:
        iid = request.match_info["instanceId"]
        return self._answer(self.engine.terminate(iid, request.query.get("reason", "")), iid)

    def _answer(self, outcome: Outcome, iid: str) -> web.Response:
        if outcome is Outcome.NOT_FOUND:
            return _error(404, f"No instance with ID '{iid}' found.")
        if outcome is Outcome.GONE:
            return _error(410, f"Instance with ID '{iid}' is gone: either completed or failed.")
        return web.Response(status=202)

    async def purge(self, request: web.Request) -> web.Response:
        deleted = self.engine.purge(request.match_info["instanceId"])
        if not deleted:
            return _error(404, "No instance found.")
        return web.json_response({"instancesDeleted": deleted})

    async def purge_many(self, request: web.Request) -> web.Response:
        deleted = operations.purge_many(self.engine.store, self._filtered(request))
        return web.json_response({"instancesDeleted": deleted}, status=200 if deleted else 404)

    async def not_supported(self, request: web.Request) -> web.Response:
        op = request.match_info["operation"]
        return _error(501, f"'{op}' is not supported by devhost's durable engine")
