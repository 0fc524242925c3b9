"""Users over HTTP through devhost: just-in-time profiles, /me, addresses (owner only),
preferences, staff lookups and role management; nothing changes after a rejected request."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.catalog_support import error_fields, problem_code
from tests.e2e.conftest import StartDevhost
from tests.e2e.helpers import ApiClient, unique

pytestmark = pytest.mark.e2e
ADDRESS = {"line1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}


@pytest.fixture(scope="module")
def api(start_devhost_module: StartDevhost) -> Iterator[ApiClient]:
    dh = start_devhost_module()
    yield ApiClient(dh.url)


def customer(api: ApiClient, **claims: Any) -> tuple[str, str]:
    sub = unique("cust")
    return sub, api.dev_token(sub, roles=["customer"], **claims)


def me(api: ApiClient, token: str) -> dict[str, Any]:
    r = api.get("/api/me", token=token)
    assert r.status == 200, r
    return dict(r.json())


def test_profile_exists_after_any_authenticated_request(api: ApiClient) -> None:
    sub, token = customer(api, email="jit@example.com", name="Jit Person")
    admin = api.dev_token(unique("admin"), roles=["admin"])
    assert api.get(f"/api/users/{sub}", token=admin).status == 404
    # An anonymous route called with a token (not /me) provisions the profile.
    assert api.get("/api/products", token=token).status == 200
    r = api.get(f"/api/users/{sub}", token=admin)
    assert r.status == 200, r
    profile = r.json()
    assert profile["email"] == "jit@example.com" and profile["displayName"] == "Jit Person"
    assert profile["preferences"]["channels"] == {"email": True, "sms": True, "push": True}
    assert profile["roles"] == ["customer"] and profile["addresses"] == []
    assert set(profile) >= {"id", "email", "displayName", "roles", "addresses", "preferences", "createdAt"}


def test_me_requires_a_token(api: ApiClient) -> None:
    r = api.get("/api/me")
    assert r.status == 401 and problem_code(r) == "unauthorized"
    assert api.get("/api/me", token="not-a-jwt").status == 401
    assert api.patch("/api/me", {"displayName": "x"}).status == 401


def test_patch_me(api: ApiClient) -> None:
    _, token = customer(api, name="Before")
    r = api.patch("/api/me", {"displayName": "After", "phone": "+1 555 0100"}, token=token)
    assert r.status == 200 and r.json()["displayName"] == "After" and r.json()["phone"] == "+1 555 0100"
    assert error_fields(api.patch("/api/me", {"phone": "call me"}, token=token)) == ["phone"]
    assert error_fields(api.patch("/api/me", {"displayName": ""}, token=token)) == ["displayName"]
    bad = api.request(
        "PATCH", "/api/me", data=b"{", headers={"Content-Type": "application/json"}, token=token
    )
    assert bad.status == 400
    profile = me(api, token)
    assert (profile["displayName"], profile["phone"]) == ("After", "+1 555 0100")


def test_addresses_owner_only(api: ApiClient) -> None:
    _, alice = customer(api)
    _, bob = customer(api)
    r = api.post("/api/me/addresses", ADDRESS, token=alice)
    assert r.status == 201, r
    address = r.json()
    assert address["country"] == "DE" and address["isDefault"] is True and address["id"]
    path = f"/api/me/addresses/{address['id']}"
    assert error_fields(api.post("/api/me/addresses", {**ADDRESS, "country": "XX"}, token=alice)) == [
        "country"
    ]
    assert error_fields(api.post("/api/me/addresses", {**ADDRESS, "postalCode": ""}, token=alice)) == [
        "postalCode"
    ]
    assert api.post("/api/me/addresses", ADDRESS).status == 401
    # Bob cannot see, change or delete Alice's address: 404, as if it did not exist.
    assert api.put(path, {**ADDRESS, "city": "Paris", "country": "FR"}, token=bob).status == 404
    assert api.delete(path, token=bob).status == 404
    assert me(api, alice)["addresses"] == [address]
    r = api.put(path, {**ADDRESS, "city": "Munich"}, token=alice)
    assert r.status == 200 and r.json()["city"] == "Munich" and r.json()["id"] == address["id"]
    assert error_fields(api.put(path, {**ADDRESS, "country": "ZZ"}, token=alice)) == ["country"]
    assert me(api, alice)["addresses"][0]["city"] == "Munich"
    assert api.delete(path, token=alice).status == 204
    assert api.delete(path, token=alice).status == 404
    assert me(api, alice)["addresses"] == []


def test_preferences(api: ApiClient) -> None:
    _, token = customer(api)
    admin = api.dev_token(unique("admin"), roles=["admin"])
    category = api.post("/api/categories", {"name": unique("Category")}, token=admin)
    assert category.status == 201, category
    prefs = {
        "channels": {"email": True, "sms": False, "push": True},
        "favoriteCategories": [category.json()["id"]],
        "marketingOptIn": True,
    }
    r = api.put("/api/me/preferences", prefs, token=token)
    assert r.status == 200 and r.json() == prefs
    assert error_fields(
        api.put("/api/me/preferences", {**prefs, "marketingOptIn": "maybe"}, token=token)
    ) == ["marketingOptIn"]
    assert api.put("/api/me/preferences", prefs).status == 401
    assert me(api, token)["preferences"] == prefs


def test_staff_lookup_and_roles(api: ApiClient) -> None:
    sub, token = customer(api)
    me(api, token)
    support = api.dev_token(unique("support"), roles=["support"])
    admin = api.dev_token(unique("admin"), roles=["admin"])
    assert api.get(f"/api/users/{sub}", token=token).status == 403
    assert api.get(f"/api/users/{sub}").status == 401
    assert api.get(f"/api/users/{sub}", token=support).status == 200
    assert api.get("/api/users/nobody-at-all", token=support).status == 404
    path = f"/api/users/{sub}/roles"
    assert api.put(path, {"roles": ["support"]}, token=support).status == 403
    assert api.put(path, {"roles": ["support"]}, token=token).status == 403
    assert error_fields(api.put(path, {"roles": ["superuser"]}, token=admin)) == ["roles[0]"]
    assert me(api, token)["roles"] == ["customer"]
    r = api.put(path, {"roles": ["customer", "support"]}, token=admin)
    assert r.status == 200 and r.json()["roles"] == ["customer", "support"]
    assert api.put("/api/users/nobody-at-all/roles", {"roles": []}, token=admin).status == 404


def test_address_book_is_bounded(api: ApiClient) -> None:
    _, token = customer(api)
    for n in range(20):
        assert api.post("/api/me/addresses", {**ADDRESS, "line1": f"{n} Main St"}, token=token).status == 201
    r = api.post("/api/me/addresses", ADDRESS, token=token)
    assert r.status == 409 and problem_code(r) == "too_many_addresses"
    assert len(me(api, token)["addresses"]) == 20
