"""Strict input at the edge (issue 17, points 6 and 8), through devhost with the product app.

Each case failed before: `"quantity": true` ordered 1 unit, `"quantity": "2"` ordered 2, a
preference channel took `"yes"`, text/plain and form bodies were parsed as JSON, and unknown
fields (even a 9 MB one) were silently dropped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.e2e.conftest import StartDevhost
from tests.e2e.helpers import ApiClient, HttpResult, unique

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def api(start_devhost_module: StartDevhost) -> ApiClient:
    return ApiClient(start_devhost_module().url)


def _fields(r: HttpResult) -> list[str]:
    assert r.status == 422 and r.content_type.startswith("application/problem+json"), r
    return [e["field"] for e in r.json()["errors"]]


def _order(quantity: Any) -> dict[str, Any]:
    return {"items": [{"sku": "NO-SUCH-SKU", "quantity": quantity}], "paymentToken": "tok_x"}


def test_a_bool_or_a_string_in_an_integer_field_is_a_422(api: ApiClient) -> None:
    token = api.dev_token(unique("strict"), roles=["customer"])
    assert "items[0].quantity" in _fields(api.post("/api/orders", _order(True), token=token))
    assert "items[0].quantity" in _fields(api.post("/api/orders", _order("2"), token=token))
    # 2.0 is an integer to JSON (and JSON Schema): it passes the type check and fails only on the sku.
    whole = api.post("/api/orders", _order(2.0), token=token)
    assert whole.status == 422 and "items[0].quantity" not in _fields(whole), whole


def test_a_string_in_a_boolean_field_is_a_422(api: ApiClient) -> None:
    token = api.dev_token(unique("strict"), roles=["customer"])
    # PATCH: a partial document (PUT now takes the whole one, issue 17 point 11).
    r = api.patch("/api/me/preferences", {"channels": {"email": "yes"}}, token=token)
    assert _fields(r) == ["channels.email"]
    ok = api.patch("/api/me/preferences", {"channels": {"email": False}}, token=token)
    assert ok.status == 200 and ok.json()["channels"]["email"] is False, ok


@pytest.mark.parametrize(
    "content_type",
    [None, "text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"],
)
def test_a_body_that_is_not_declared_json_is_a_415(api: ApiClient, content_type: str | None) -> None:
    token = api.dev_token(unique("strict"), roles=["customer"])
    headers = {"Content-Type": content_type} if content_type else {}
    body = json.dumps({"displayName": "Mallory"}).encode()
    r = api.request("PATCH", "/api/me", data=body, headers=headers, token=token)
    assert r.status == 415 and r.json()["code"] == "unsupported_media_type", r
    assert api.get("/api/me", token=token).json()["displayName"] != "Mallory"  # nothing changed
    json_utf8 = {"Content-Type": "application/json; charset=utf-8"}
    charset = api.request("PATCH", "/api/me", data=body, headers=json_utf8, token=token)
    assert charset.status == 200, charset


def test_unknown_fields_on_a_write_are_a_422_and_change_nothing(api: ApiClient) -> None:
    token = api.dev_token(unique("strict"), roles=["customer"])
    r = api.patch("/api/me", {"displayName": "Typo", "dispalyName": "x"}, token=token)
    assert _fields(r) == ["dispalyName"]
    big = api.patch("/api/me", {"displayName": "Big", "padding": "x" * (9 * 1024 * 1024)}, token=token)
    assert _fields(big) == ["padding"]
    assert api.get("/api/me", token=token).json()["displayName"] not in ("Typo", "Big")
