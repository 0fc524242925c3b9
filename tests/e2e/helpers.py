"""A small HTTP client for e2e tests against devhost (stdlib only, so nothing extra to install).

api = ApiClient(devhost.url)
token = api.dev_token("user-1", roles=["admin"])
r = api.get("/api/reports/sales", token=token)
assert r.status == 200, r.text
r.json()["total"]
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import Message
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class HttpResult:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", errors="replace")

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def content_type(self) -> str:
        return self.headers.get("Content-Type", "")

    def header(self, name: str) -> str | None:
        return self.headers.get(name)

    def header_all(self, name: str) -> list[str]:
        return self.headers.get_all(name) or []

    def __repr__(self) -> str:  # shows up in assertion messages
        return f"HttpResult({self.status}, {self.content_type!r}, {self.text[:500]!r})"


class ApiClient:
    def __init__(self, base_url: str, *, timeout: float = 15.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

    def request(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        data: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        token: str | None = None,
    ) -> HttpResult:
        hdrs = {"x-correlation-id": f"e2e-{uuid.uuid4().hex[:12]}", **(headers or {})}
        body = data
        if json_body is not None:
            body = json.dumps(json_body).encode()
            hdrs.setdefault("Content-Type", "application/json")
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base_url + path, data=body, method=method, headers=hdrs)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                return HttpResult(resp.status, resp.headers, resp.read())
        except urllib.error.HTTPError as err:
            return HttpResult(err.code, err.headers, err.read())

    def get(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, json_body: Any = None, **kwargs: Any) -> HttpResult:
        return self.request("POST", path, json_body=json_body, **kwargs)

    def put(self, path: str, json_body: Any = None, **kwargs: Any) -> HttpResult:
        return self.request("PUT", path, json_body=json_body, **kwargs)

    def patch(self, path: str, json_body: Any = None, **kwargs: Any) -> HttpResult:
        return self.request("PATCH", path, json_body=json_body, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> HttpResult:
        return self.request("DELETE", path, **kwargs)

    def dev_token(self, sub: str | None = None, roles: list[str] | None = None, **claims: Any) -> str:
        """A development bearer token from POST /api/dev/token (unique subject by default)."""
        payload = {"sub": sub or f"user-{uuid.uuid4().hex[:8]}", "roles": roles or [], **claims}
        r = self.post("/api/dev/token", payload)
        assert r.status == 200, r
        return str(r.json()["accessToken"])


def wait_for(
    check: Callable[[], T | None], *, timeout: float = 15.0, interval: float = 0.1, message: str = "condition"
) -> T:
    """Poll `check` until it returns something truthy; fail with `message` after `timeout`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {message} (last: {last!r})")


def unique(prefix: str = "t") -> str:
    """A unique id for test data, so tests never depend on each other's leftovers."""
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


DURABLE_KEY_FILE = "durabletask_system_key"  # devhost.durable.binding.SYSTEM_KEY_FILE


def durable_key(data_dir: object) -> str:
    """The system key devhost's durable webhooks need (`code=<key>`), read from its data dir."""
    with open(f"{data_dir}/keys/{DURABLE_KEY_FILE}", encoding="ascii") as handle:
        return handle.read().strip()


def with_code(path: str, key: str) -> str:
    """`path` with `code=<key>` added to its query."""
    return f"{path}{'&' if '?' in path else '?'}code={key}"
