"""devhost's static site (web/): index pages, content types, caching, no way out of the root,
and the API and devhost's own routes untouched."""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import aiohttp
import azure.functions as func
import pytest
from aiohttp import web

from devhost.http_server import HttpDispatcher, make_app
from devhost.index import FunctionIndex
from devhost.invoker import Invoker
from devhost.static import CONTENT_SECURITY_POLICY, StaticSite, default_web_root

app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route("ping", methods=["GET", "POST"])
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse(json.dumps({"pong": req.method}), mimetype="application/json")


INDEX = list(FunctionIndex.from_app(app))
ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture
def web_root(tmp_path: Path) -> Path:
    root = tmp_path / "web"
    (root / "admin").mkdir(parents=True)
    (root / "lib").mkdir()
    (root / "empty").mkdir()
    (root / "index.html").write_text("<!doctype html><title>store</title>")
    (root / "admin" / "index.html").write_text("<!doctype html><title>admin</title>")
    (root / "lib" / "api.js").write_text("export const x = 1;\n")
    (root / "lib" / "base.css").write_text("body{}")
    (root / "logo.svg").write_text("<svg xmlns='http://www.w3.org/2000/svg'/>")
    (root / ".env").write_text("SECRET=1")
    (root / "notes.py").write_text("print('no')")
    (tmp_path / "secret.txt").write_text("outside the root")
    os.symlink(tmp_path / "secret.txt", root / "link.txt")
    return root


async def _status(_: web.Request) -> web.Response:
    return web.json_response({"ok": True})


def _serve(root: Path, body: Callable[[str, aiohttp.ClientSession], Awaitable[None]]) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(2) as pool:
            dispatcher = HttpDispatcher(INDEX, Invoker(loop, pool), "api")
            runtime = [web.get("/runtime/devhost/status", _status)]
            runner = web.AppRunner(make_app(dispatcher, runtime, site=StaticSite(root, "api")))
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


async def _raw_status(base: str, target: str) -> int:
    """The status for a request line sent byte for byte (clients normalise `..` away)."""
    host, port = base.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(f"GET {target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    await writer.drain()
    status_line = await reader.readline()
    writer.close()
    return int(status_line.split()[1])


def test_index_pages_types_and_headers(web_root: Path) -> None:
    async def check(base: str, s: aiohttp.ClientSession) -> None:
        async with s.get(f"{base}/") as r:
            assert r.status == 200 and "store" in await r.text()
            assert r.headers["Content-Type"] == "text/html; charset=utf-8"
            assert r.headers["Cache-Control"] == "no-cache"
            assert r.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            etag = r.headers["ETag"]
        async with s.get(f"{base}/", headers={"If-None-Match": etag}) as r:
            assert r.status == 304  # revalidation costs no body
        async with s.get(f"{base}/admin/") as r:
            assert r.status == 200 and "admin" in await r.text()
        async with s.get(f"{base}/admin", allow_redirects=False) as r:
            assert r.status == 301 and r.headers["Location"] == "/admin/"
        expected = {
            "/lib/api.js": "text/javascript; charset=utf-8",
            "/lib/base.css": "text/css; charset=utf-8",
            "/logo.svg": "image/svg+xml",
        }
        for path, content_type in expected.items():
            async with s.get(base + path) as r:
                assert r.status == 200 and r.headers["Content-Type"] == content_type, path
        async with s.head(f"{base}/lib/api.js") as r:
            assert r.status == 200 and await r.read() == b""

    _serve(web_root, check)


def test_nothing_outside_the_root_hidden_or_of_an_unknown_type(web_root: Path) -> None:
    async def check(base: str, s: aiohttp.ClientSession) -> None:
        for target in (
            "/../secret.txt",
            "/%2e%2e/secret.txt",
            "/lib/..%2f..%2fsecret.txt",
            "/lib/%2e%2e/%2e%2e/secret.txt",
            "/..%5csecret.txt",
            "/link.txt",  # a symlink leading out
            "/.env",
            "/notes.py",
            "/empty/",  # a directory without index.html
            "/missing.js",
            "/index.html%00.js",
        ):
            assert await _raw_status(base, target) == 404, target
        async with s.get(f"{base}/missing.js") as r:
            assert r.headers["Content-Type"] == "application/problem+json"

    _serve(web_root, check)


def test_the_api_and_devhost_routes_are_untouched(web_root: Path) -> None:
    (web_root / "api").mkdir()
    (web_root / "api" / "ping").write_text("a file must never shadow a function")
    (web_root / "runtime").mkdir()

    async def check(base: str, s: aiohttp.ClientSession) -> None:
        async with s.get(f"{base}/api/ping") as r:
            assert r.status == 200 and await r.json() == {"pong": "GET"}
        async with s.post(f"{base}/api/ping") as r:
            assert await r.json() == {"pong": "POST"}
        async with s.get(f"{base}/runtime/devhost/status") as r:
            assert await r.json() == {"ok": True}
        async with s.get(f"{base}/api/nope") as r:
            assert r.status == 404 and r.headers["Content-Type"] == "application/problem+json"
        async with s.post(f"{base}/index.html") as r:
            assert r.status == 404  # only GET and HEAD are the site's

    _serve(web_root, check)


def test_the_repository_web_root_and_its_azure_headers_agree() -> None:
    root = default_web_root(ROOT)
    assert root is not None and (root / "index.html").is_file()
    config = json.loads((root / "staticwebapp.config.json").read_text())
    assert config["globalHeaders"]["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
