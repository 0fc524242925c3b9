"""HTTP dispatch in-process: route prefix, request building, response conversion, errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import azure.functions as func
from aiohttp import web

from devhost.http_server import HttpDispatcher, make_app, to_web_response
from devhost.index import FunctionIndex
from devhost.invoker import Invoker

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route("echo/{id:int}", methods=["POST"])
def echo(req: func.HttpRequest) -> func.HttpResponse:
    payload = {
        "method": req.method,
        "url": req.url,
        "route": dict(req.route_params),
        "params": dict(req.params),
        "header": req.headers.get("x-thing"),
        "body": req.get_body().decode(),
    }
    return func.HttpResponse(json.dumps(payload), mimetype="application/json")


@app.route("cookies")
async def cookies(req: func.HttpRequest) -> func.HttpResponse:
    resp = func.HttpResponse("hi", status_code=201, headers={"X-One": "1"})
    resp.headers.add_header("Set-Cookie", "a=1")
    resp.headers.add_header("Set-Cookie", "b=2")
    return resp


@app.route("boom")
def boom(req: func.HttpRequest) -> func.HttpResponse:
    raise RuntimeError("kaput")


@app.function_name("noroute")
@app.route()
def noroute(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("by name")


INDEX = list(FunctionIndex.from_app(app))


def _serve(prefix: str, body: Callable[[str, aiohttp.ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(2) as pool:
            dispatcher = HttpDispatcher(INDEX, Invoker(loop, pool), prefix)
            runner = web.AppRunner(make_app(dispatcher, []))
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            port = runner.addresses[0][1]
            try:
                async with aiohttp.ClientSession() as session:
                    await body(f"http://127.0.0.1:{port}", session)
            finally:
                await runner.cleanup()

    asyncio.run(main())


def test_request_reaches_function_with_everything() -> None:
    async def check(base: str, s: aiohttp.ClientSession) -> None:
        async with s.post(f"{base}/api/ECHO/7?q=1&q=2", data=b"payload", headers={"X-Thing": "t"}) as r:
            assert r.status == 200
            assert r.headers["Content-Type"] == "application/json; charset=utf-8"
            got: dict[str, Any] = await r.json()
        assert got["method"] == "POST" and got["route"] == {"id": "7"}
        assert got["params"] == {"q": "1"} and got["header"] == "t" and got["body"] == "payload"
        assert got["url"].endswith("/api/ECHO/7?q=1&q=2")

    _serve("api", check)


def test_response_headers_status_and_repeated_cookies() -> None:
    async def check(base: str, s: aiohttp.ClientSession) -> None:
        async with s.get(f"{base}/api/cookies") as r:
            assert r.status == 201 and await r.text() == "hi"
            assert r.headers.getall("Set-Cookie") == ["a=1", "b=2"]
            assert r.headers["X-One"] == "1"

    _serve("api", check)


def test_function_errors_are_500_problems_and_route_defaults_to_name() -> None:
    async def check(base: str, s: aiohttp.ClientSession) -> None:
        async with s.get(f"{base}/api/boom") as r:
            assert r.status == 500 and r.content_type == "application/problem+json"
            assert (await r.json())["code"] == "internal_error"
        async with s.get(f"{base}/api/noroute") as r:
            assert r.status == 200 and await r.text() == "by name"

    _serve("api", check)


def test_empty_route_prefix_and_prefix_is_required_otherwise() -> None:
    async def without_prefix(base: str, s: aiohttp.ClientSession) -> None:
        async with s.get(f"{base}/cookies") as r:
            assert r.status == 201

    async def with_prefix(base: str, s: aiohttp.ClientSession) -> None:
        async with s.get(f"{base}/cookies") as r:
            assert r.status == 404
        async with s.get(f"{base}/apix/cookies") as r:
            assert r.status == 404

    _serve("", without_prefix)
    _serve("api", with_prefix)


def test_to_web_response_handles_plain_returns() -> None:
    assert to_web_response(None).status == 204
    assert to_web_response("text").body == b"text"
    r = to_web_response({"a": 1})
    assert r.status == 200 and r.body == b'{"a": 1}' and r.content_type == "application/json"
    image = to_web_response(func.HttpResponse(b"\x89PNG", mimetype="image/png"))
    assert image.headers["Content-Type"] == "image/png"


def test_encoded_newline_in_a_path_still_reaches_the_dispatcher() -> None:
    # Found by tests/e2e/test_api_fuzz.py: aiohttp's `.*` catch-all did not match a decoded "\n",
    # so aiohttp answered its own text/plain 404 instead of devhost's problem+json one.
    async def check(base: str, s: aiohttp.ClientSession) -> None:
        async with s.get(f"{base}/api/nothing%0Ahere") as r:
            assert r.status == 404 and r.content_type == "application/problem+json"
            assert (await r.json())["code"] == "not_found"
        async with s.post(f"{base}/api/echo/%0A") as r:
            assert r.status == 404 and r.content_type == "application/problem+json"

    _serve("api", check)


def test_memoized_route_matches_keep_each_request_s_own_params_and_stay_bounded(monkeypatch: Any) -> None:
    import devhost.http_server as http_server

    monkeypatch.setattr(http_server, "MATCH_MEMO_SIZE", 3)

    async def check(base: str, s: aiohttp.ClientSession) -> None:
        for _ in range(2):  # the second round is served from the memo
            for n in (7, 8):
                async with s.post(f"{base}/api/echo/{n}", data=b"x") as r:
                    assert r.status == 200
                    assert (await r.json())["route"] == {"id": str(n)}
            async with s.get(f"{base}/api/echo/7") as r:
                assert r.status == 405 and r.headers["Allow"] == "POST"
            async with s.get(f"{base}/api/nothing") as r:
                assert r.status == 404
            async with s.get(f"{base}/api/{'x' * 300}") as r:  # too long to memoize
                assert r.status == 404

    dispatchers: list[HttpDispatcher] = []
    real_init = HttpDispatcher.__init__

    def spy(self: HttpDispatcher, *args: Any) -> None:
        real_init(self, *args)
        dispatchers.append(self)

    monkeypatch.setattr(HttpDispatcher, "__init__", spy)
    _serve("api", check)
    memo = dispatchers[0]._memo
    assert 0 < len(memo) <= 3  # never more than MATCH_MEMO_SIZE paths remembered
    assert all(len(path) <= http_server.MATCH_MEMO_MAX_PATH for _, path in memo)


def test_remembered_urls_are_each_request_s_own_host_and_target() -> None:
    """The URL text is remembered per (scheme, Host, target): a repeated request gets the text
    str(request.url) gives, another Host or query string never gets a remembered one."""

    async def check(base: str, s: aiohttp.ClientSession) -> None:
        port = base.rsplit(":", 1)[1]
        seen: list[str] = []
        for _ in range(2):
            for host in (f"127.0.0.1:{port}", "Shop.Example:8080", "[::1]:9"):
                for query in ("", "?q=1&q=2", "?q=a%20b"):
                    async with s.post(f"{base}/api/echo/7{query}", data=b"x", headers={"Host": host}) as r:
                        assert r.status == 200
                        seen.append((await r.json())["url"])
        first, second = seen[:9], seen[9:]
        assert second == first  # the remembered text is the computed one
        assert len(set(first)) == 9  # another Host or query never gets a remembered URL
        assert first[0] == f"http://127.0.0.1:{port}/api/echo/7"
        assert first[4] == "http://shop.example:8080/api/echo/7?q=1&q=2"
        assert first[6].startswith("http://[::1]:9/api/echo/7")

    _serve("api", check)


def test_function_requests_skip_the_application_and_everything_else_keeps_it(monkeypatch: Any) -> None:
    """DevhostRunner hands /api requests to the dispatcher directly (CORS still applied); an
    extension's route under /api, other paths and `Expect: 100-continue` go through aiohttp's
    Application as before, with the same answers."""
    from devhost.http_server import DevhostRunner

    through_app: list[str] = []
    real_handle = web.Application._handle

    async def counting(self: web.Application, request: web.Request) -> web.StreamResponse:
        through_app.append(request.path)
        return await real_handle(self, request)

    monkeypatch.setattr(web.Application, "_handle", counting)

    async def stream(request: web.Request) -> web.Response:
        return web.Response(text=f"extension {request.match_info['id']}")

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(2) as pool:
            dispatcher = HttpDispatcher(INDEX, Invoker(loop, pool), "api")
            extra = [web.get("/api/realtime/{id}", stream), web.get("/runtime/x", stream)]
            runner = DevhostRunner(make_app(dispatcher, extra, frozenset({"https://shop.example"})))
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)
            await site.start()
            base = f"http://127.0.0.1:{runner.addresses[0][1]}"
            try:
                async with aiohttp.ClientSession() as s:
                    async with s.post(f"{base}/api/echo/7?q=1", data=b"fast") as r:
                        assert r.status == 200 and (await r.json())["body"] == "fast"
                    async with s.get(f"{base}/API/cookies", headers={"Origin": "https://shop.example"}) as r:
                        assert (
                            r.status == 201
                            and r.headers["Access-Control-Allow-Origin"] == "https://shop.example"
                        )
                        assert r.headers.getall("Set-Cookie") == ["a=1", "b=2"]
                    async with s.get(f"{base}/api/nothing") as r:
                        assert r.status == 404 and r.content_type == "application/problem+json"
                    assert through_app == []  # all three straight to the dispatcher
                    async with s.get(f"{base}/api/realtime/5") as r:
                        assert await r.text() == "extension 5"
                    expect = {"Expect": "100-continue"}
                    async with s.post(f"{base}/api/echo/8", data=b"x", headers=expect) as r:
                        assert r.status == 200 and (await r.json())["route"] == {"id": "8"}
                    async with s.get(f"{base}/elsewhere") as r:
                        assert r.status == 404 and r.content_type == "application/problem+json"
                    assert through_app == ["/api/realtime/5", "/api/echo/8", "/elsewhere"]
            finally:
                await runner.cleanup()

    asyncio.run(main())
