"""GET /api/health, GET /api/openapi.json and POST /api/dev/token."""

from __future__ import annotations

import json
from pathlib import Path

import azure.functions as func
import pytest

from functions import ops
from shared.http import health
from shared.http.auth import verify_token
from shared.http.registry import RouteInfo
from tests.unit.edge_support import (
    fresh_settings,  # noqa: F401 - autouse fixture
    problem,
    request,
    use_env,
    use_production,
)


def route(name: str) -> RouteInfo:
    return next(info for info in ops.api.routes if info.function_name == name)


def call(name: str, req: func.HttpRequest) -> func.HttpResponse:
    response: func.HttpResponse = route(name).wrapper(req)
    return response


@pytest.fixture(autouse=True)
def dev(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_env(monkeypatch, tmp_path)


def test_health_reports_each_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_checks", {"documents": lambda: None, "bus": lambda: 1 / 0})
    response = call("health", request("GET", "/api/health"))
    assert response.status_code == 200
    body = json.loads(response.get_body())
    assert body["status"] == "degraded"
    assert body["checks"]["documents"]["status"] == "ok"
    assert body["checks"]["bus"] == {
        **body["checks"]["bus"],
        "status": "error",
        "detail": "ZeroDivisionError",
    }


def test_health_is_ok_when_every_check_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(health, "_checks", {"documents": lambda: "sqlite"})
    body = json.loads(call("health", request("GET", "/api/health")).get_body())
    assert body["status"] == "ok"
    assert body["checks"]["documents"]["detail"] == "sqlite"


def test_openapi_json_lists_the_ops_routes() -> None:
    response = call("openapi_document", request("GET", "/api/openapi.json"))
    assert response.status_code == 200
    document = json.loads(response.get_body())
    assert {"/api/health", "/api/openapi.json", "/api/dev/token"} <= set(document["paths"])


def test_dev_token_mints_a_valid_token() -> None:
    body = {"sub": "alice", "roles": ["customer"], "email": "alice@example.com", "name": "Alice"}
    response = call("dev_token", request("POST", "/api/dev/token", body=body))
    assert response.status_code == 200
    data = json.loads(response.get_body())
    assert data["tokenType"] == "Bearer" and data["expiresIn"] > 0
    principal = verify_token(data["accessToken"])
    assert (principal.sub, principal.roles, principal.email, principal.name) == (
        "alice",
        ("customer",),
        "alice@example.com",
        "Alice",
    )


def test_dev_token_refuses_unknown_roles() -> None:
    response = call("dev_token", request("POST", "/api/dev/token", body={"sub": "a", "roles": ["root"]}))
    assert response.status_code == 422
    assert problem(response)["errors"][0]["field"] == "roles[0]"


def test_dev_token_is_404_in_production_and_hidden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_production(monkeypatch, tmp_path)
    response = call("dev_token", request("POST", "/api/dev/token", body={"sub": "a", "roles": ["admin"]}))
    assert response.status_code == 404
    data = problem(response)
    assert data["code"] == "not_found"
    assert "develop" not in data["detail"].lower() and "token" not in data["detail"].lower()
    malformed = call("dev_token", request("POST", "/api/dev/token", body=b"{"))
    assert malformed.status_code == 404  # not even its validation gives the route away
    document = json.loads(call("openapi_document", request("GET", "/api/openapi.json")).get_body())
    assert "/api/dev/token" not in document["paths"]
