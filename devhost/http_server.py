"""HTTP triggers behind an aiohttp server, at the URLs `func start` would serve.

Requests are routed with ASP.NET Core precedence (devhost.routing), turned into
`func.HttpRequest`, and the function's `func.HttpResponse` is written back as is (status, every
header including repeated Set-Cookie, mimetype and charset, body).
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, cast

import azure.functions as func
from aiohttp import hdrs, web
from aiohttp.http_exceptions import BadHttpMessage, LineTooLong
from aiohttp.web_protocol import RequestHandler
from aiohttp.web_request import BaseRequest
from multidict import CIMultiDict

from devhost.cors import Handler, cors_middleware
from devhost.index import HTTP, FunctionInfo
from devhost.routing import Match, Router
from devhost.static import StaticSite

if TYPE_CHECKING:
    from devhost.invoker import Invoker

log = logging.getLogger("devhost.http")

MAX_BODY_BYTES = 10 * 1024 * 1024
# The real host's (Kestrel's) limits are larger, but a client sending more than 8 KB of request line
# or of one header is broken or probing. The two limits differ by a byte so that a LineTooLong from
# aiohttp's parser says which one was exceeded (it carries the limit, not the part it was reading).
MAX_REQUEST_LINE = 8192
MAX_HEADER_FIELD = 8190
CORRELATION_HEADER = "x-correlation-id"
_TEXTUAL = (
    "text/",
    "application/json",
    "application/problem+json",
    "application/xml",
    "application/javascript",
)


def problem(
    status: int, title: str, detail: str, code: str, headers: dict[str, str] | None = None
) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail, "code": code}
    return web.Response(
        status=status,
        body=json.dumps(body).encode(),
        headers=headers,
        content_type="application/problem+json",
    )


def _methods(trigger: Any) -> list[str] | None:
    methods = getattr(trigger, "methods", None)
    if not methods:
        return None
    return [str(getattr(m, "value", m)).upper() for m in methods]


def build_router(functions: list[FunctionInfo]) -> Router[FunctionInfo]:
    router: Router[FunctionInfo] = Router()
    for fn in functions:
        # A function without a route answers at its own name, as in the real host.
        router.add(getattr(fn.trigger, "route", None) or fn.name, _methods(fn.trigger), fn)
    return router


def _request_headers(request: web.Request) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in request.headers.items():
        k = key.lower()
        sep = "; " if k == "cookie" else ", "
        headers[k] = f"{headers[k]}{sep}{value}" if k in headers else value
    return headers


def _query(request: web.Request) -> dict[str, str]:
    params: dict[str, str] = {}
    for key, value in request.query.items():
        params.setdefault(key, value)
    return params


def to_web_response(result: Any) -> web.Response:
    """func.HttpResponse (or what a function may return instead) -> aiohttp response."""
    if result is None:
        return web.Response(status=204)
    if isinstance(result, str | bytes):
        result = func.HttpResponse(result)
    if not isinstance(result, func.HttpResponse):
        result = func.HttpResponse(json.dumps(result, default=str), mimetype="application/json")
    headers: CIMultiDict[str] = CIMultiDict()
    for key, value in result.headers.items():
        headers.add(key, value)
    if "Content-Type" not in headers:
        mimetype = result.mimetype or "text/plain"
        textual = mimetype.startswith(_TEXTUAL) and "charset" not in mimetype
        headers["Content-Type"] = f"{mimetype}; charset={result.charset}" if textual else mimetype
    return web.Response(status=result.status_code, body=result.get_body(), headers=headers)


# Distinct (method, path) pairs whose route match is remembered; past that the memo starts over.
# Longer paths are matched every time, so the memo stays under ~1 MB whatever clients send.
MATCH_MEMO_SIZE = 4096
MATCH_MEMO_MAX_PATH = 256


class HttpDispatcher:
    def __init__(self, functions: list[FunctionInfo], invoker: Invoker, route_prefix: str) -> None:
        self.router = build_router([f for f in functions if f.trigger_type == HTTP])
        self.invoker = invoker
        self.prefix = "/" + route_prefix.strip("/") if route_prefix.strip("/") else ""
        # The router tries every template in turn (~30 us with the product's ~50 routes); the
        # routes never change after start-up, so a hot path's match is computed once. Only the
        # loop thread touches the memo.
        self._memo: dict[tuple[str, str], Match[FunctionInfo] | None] = {}
        # str(request.url) builds a URL from scheme and Host and joins the target to it with yarl
        # (~7 us); the same (scheme, Host, target) always gives the same text. Same bounds.
        self._urls: dict[tuple[str, str, str], str] = {}

    def _match(self, method: str, raw_path: str) -> Match[FunctionInfo] | None:
        key = (method, raw_path)
        try:
            return self._memo[key]
        except KeyError:
            pass
        rel = self._relative(raw_path)
        match = self.router.match(method, rel) if rel is not None else None
        if len(raw_path) <= MATCH_MEMO_MAX_PATH:
            if len(self._memo) >= MATCH_MEMO_SIZE:
                self._memo.clear()  # bounded: a scan of distinct URLs cannot grow memory
            self._memo[key] = match
        return match

    def _url(self, request: web.Request) -> str:
        target = request.raw_path
        key = (request.scheme, request.host, target)
        try:
            return self._urls[key]
        except KeyError:
            pass
        url = str(request.url)
        if len(target) <= MATCH_MEMO_MAX_PATH and len(key[1]) <= MATCH_MEMO_MAX_PATH:
            if len(self._urls) >= MATCH_MEMO_SIZE:
                self._urls.clear()
            self._urls[key] = url
        return url

    def _relative(self, raw_path: str) -> str | None:
        if not self.prefix:
            return raw_path
        lowered = raw_path.lower()
        p = self.prefix.lower()
        if lowered == p or lowered.startswith(p + "/"):
            return raw_path[len(p) :]
        return None

    async def handle(self, request: web.Request) -> web.StreamResponse:
        start = time.perf_counter()
        match = self._match(request.method, request.rel_url.raw_path)
        if match is None or match.route is None:
            if match is not None and match.allowed:
                allow = ", ".join(sorted(match.allowed))
                return problem(
                    405,
                    "Method Not Allowed",
                    f"{request.method} is not allowed here; allowed: {allow}",
                    "method_not_allowed",
                    {"Allow": allow},
                )
            return problem(
                404, "Not Found", f"no function serves {request.method} {request.rel_url.path}", "not_found"
            )
        fn = match.route.target
        if (request.content_length or 0) > MAX_BODY_BYTES:
            return _too_large()
        try:
            # A request without a body (most GETs) has nothing to read: skip the read's coroutine.
            body = await request.read() if request.body_exists else b""
        except web.HTTPRequestEntityTooLarge:
            return _too_large()
        req = func.HttpRequest(
            request.method,
            self._url(request),
            headers=_request_headers(request),
            params=_query(request),
            route_params=dict(match.params),  # a copy: the memoized match is shared
            body=body,
        )
        try:
            result = await self.invoker.invoke(fn, **{fn.param_name: req})
            response = to_web_response(result)
        except Exception as exc:  # the real host answers 500 too; keep the traceback in the log
            log.exception("function %s failed", fn.name)
            response = problem(
                500, "Internal Server Error", f"{type(exc).__name__} in {fn.name}", "internal_error"
            )
        cid = response.headers.get(CORRELATION_HEADER) or request.headers.get(CORRELATION_HEADER) or "-"
        _log_invocation(request, fn.name, response.status, (time.perf_counter() - start) * 1000, cid)
        return response


def _log_invocation(request: web.Request, function: str, status: int, elapsed_ms: float, cid: str) -> None:
    """The host's invocation line, built as one string and handed to the handlers directly: the
    same text `log.info(fmt, *args)` gives (the record factory escapes control characters in the
    whole line as it would in each argument), without the per-argument work and the stack walk
    for the caller (19 -> 13 us of CPU per request, docs/performance.md)."""
    if not log.isEnabledFor(logging.INFO):
        return
    line = (
        f"http {request.method} {request.rel_url.path} -> {function} "
        f"status={status:d} duration_ms={elapsed_ms:.1f} correlation_id={cid}"
    )
    log.handle(log.makeRecord(log.name, logging.INFO, __file__, _LOG_LINENO, line, (), None, "handle"))


_LOG_LINENO = _log_invocation.__code__.co_firstlineno


class ProblemRequestHandler(RequestHandler):  # type: ignore[type-arg]
    """Requests the HTTP parser refuses get problem+json (414 / 431 / 400) and one log line.

    aiohttp's default answers plain text and logs an ERROR traceback that echoes the first 100
    bytes of the offending line; the bytes are the client's, so they are not logged at all.
    """

    def handle_error(
        self,
        request: Any,
        status: int = 500,
        exc: BaseException | None = None,
        message: str | None = None,
    ) -> web.StreamResponse:
        if not isinstance(exc, BadHttpMessage):
            return super().handle_error(request, status, exc, message)
        if isinstance(exc, LineTooLong):
            too_long_line = len(exc.args) > 1 and exc.args[1] == MAX_REQUEST_LINE
            if too_long_line:
                detail = f"the request line is limited to {MAX_REQUEST_LINE} bytes"
                response = problem(414, "URI Too Long", detail, "uri_too_long")
            else:
                response = _headers_too_large(f"a header is limited to {MAX_HEADER_FIELD} bytes")
        elif "too many headers" in str(exc).lower():
            response = _headers_too_large("too many headers")
        else:
            response = problem(400, "Bad Request", "the request is not valid HTTP/1.1", "bad_request")
        log.warning(
            "refused a malformed request from %s: %d %s", request.remote, response.status, type(exc).__name__
        )
        response.force_close()
        return response


def _headers_too_large(detail: str) -> web.Response:
    return problem(431, "Request Header Fields Too Large", detail, "headers_too_large")


class _ProblemServer(web.Server):
    def __call__(self) -> RequestHandler:  # type: ignore[type-arg]
        return ProblemRequestHandler(self, loop=self._loop, **self._kwargs)


class _FastPath:
    """Function requests straight to the dispatcher, past aiohttp's Application machinery.

    Every path that is not an extension's or devhost's own goes to the catch-all route, so for a
    path under the route prefix (`/api/...`) that no other route's literal prefix covers, the
    Application's work (resolving against every route, match info, the middleware chain built
    around the handler, the site check) always ends in the dispatcher; this handler calls it, and
    the CORS middleware when there is one, directly: ~6% of the GIL-holding samples for a
    trivial function (docs/performance.md, Round 4). Anything else (other paths, a request with
    `Expect:`, which aiohttp answers with 100-continue first) takes the Application's path."""

    def __init__(self, dispatcher: HttpDispatcher, cors: Any, catch_all: Any) -> None:
        self.dispatcher, self.cors, self.catch_all = dispatcher, cors, catch_all

    def bind(self, app: web.Application, fallback: _ServerHandler) -> _ServerHandler:
        prefix = self.dispatcher.prefix.lower()
        if not prefix:  # every path is a function's: the site and /runtime need the router
            return fallback
        api = prefix + "/"
        # Compared lowercased: a path that merely differs in case from another route's prefix
        # takes the Application's path too, which answers it as before.
        others = tuple(
            r.canonical.split("{", 1)[0].lower() for r in app.router.resources() if r is not self.catch_all
        )
        dispatch, cors = self.dispatcher.handle, self.cors

        async def handle(base: BaseRequest) -> web.StreamResponse:
            path = base.rel_url.path_safe.lower()
            if not path.startswith(api) or path.startswith(others) or hdrs.EXPECT in base.headers:
                return await fallback(base)
            request = cast(web.Request, base)  # the Application's request factory made it
            if cors is not None:
                response: web.StreamResponse = await cors(request, dispatch)
                return response
            return await dispatch(request)

        return handle


_FAST_PATH = web.AppKey("devhost_fast_path", _FastPath)
_ServerHandler = Callable[[BaseRequest], Awaitable[web.StreamResponse]]


class DevhostRunner(web.AppRunner):
    """An AppRunner whose connections use ProblemRequestHandler and devhost's parser limits, and
    whose function requests take the fast path when make_app set one up."""

    def __init__(self, app: web.Application, **kwargs: Any) -> None:
        kwargs.setdefault("max_line_size", MAX_REQUEST_LINE)
        kwargs.setdefault("max_field_size", MAX_HEADER_FIELD)
        super().__init__(app, **kwargs)

    async def _make_server(self) -> web.Server:
        server = await super()._make_server()
        # aiohttp builds the Server inside Application._make_handler and offers no hook for the
        # protocol class; swapping the class keeps everything else (request factory, kwargs) as is.
        # tests/e2e/test_devhost_hardening.py fails if a new aiohttp version breaks this.
        server.__class__ = _ProblemServer
        fast = self.app.get(_FAST_PATH)
        if fast is not None:  # the app is frozen now: its routes are final
            server.request_handler = fast.bind(self.app, server.request_handler)
        return server


def _too_large() -> web.Response:
    return problem(
        413, "Payload Too Large", f"request bodies are limited to {MAX_BODY_BYTES} bytes", "payload_too_large"
    )


def make_app(
    dispatcher: HttpDispatcher,
    extra_routes: list[web.RouteDef],
    cors_origins: frozenset[str] = frozenset(),
    site: StaticSite | None = None,
) -> web.Application:
    middlewares = [cors_middleware(cors_origins)] if cors_origins else []
    app = web.Application(client_max_size=MAX_BODY_BYTES, middlewares=middlewares)
    app.add_routes(extra_routes)  # extensions' absolute paths (e.g. /runtime/webhooks/durabletask)
    handler = dispatcher.handle if site is None else _with_site(site, dispatcher)
    # `[\s\S]*`, not `.*`: a path may hold an encoded newline (%0A), which `.` does not match.
    catch_all = app.router.add_route("*", r"/{tail:[\s\S]*}", handler)
    app[_FAST_PATH] = _FastPath(dispatcher, middlewares[0] if middlewares else None, catch_all.resource)
    return app


def _with_site(site: StaticSite, dispatcher: HttpDispatcher) -> Handler:
    """The web front ends' files first for paths outside /api and /runtime; the rest (and a
    missing file, answered with the dispatcher's 404 problem) goes to the functions."""

    async def handle(request: web.Request) -> web.StreamResponse:
        if site.claims(request):
            response = await site.handle(request)
            if response is not None:
                return response
        return await dispatcher.handle(request)

    return handle
