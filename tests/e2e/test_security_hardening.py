"""Issue 17, security and contract points owned here: role changes take effect (1), no subject can
pose as another user's derived id (4), `GET /me` carries an ETag (12). Devhost over real HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.conftest import DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, unique, wait_for

pytestmark = pytest.mark.e2e

ADMIN_ROUTE = "/api/pricing/proposals"  # admin only (a GET that changes nothing)
ROLES_CACHE_SECONDS = 2  # AUTH_ROLES_CACHE_SECONDS: the bound, kept short so the test is fast


@pytest.fixture(scope="module")
def dh(start_devhost_module: StartDevhost) -> Iterator[DevhostProcess]:
    yield start_devhost_module(env={"AUTH_ROLES_CACHE_SECONDS": str(ROLES_CACHE_SECONDS)})


@pytest.fixture(scope="module")
def api(dh: DevhostProcess) -> ApiClient:
    return ApiClient(dh.url)


def _user(api: ApiClient, roles: list[str], sub: str | None = None) -> tuple[str, str]:
    """(user id, token) of a user whose profile exists (made by a first request)."""
    token = api.dev_token(sub or unique("u"), roles=roles)
    me = api.get("/api/me", token=token)
    assert me.status == 200, me
    return str(me.json()["id"]), token


def _set_roles(api: ApiClient, admin: str, user_id: str, roles: list[str]) -> None:
    r = api.put(f"/api/users/{user_id}/roles", {"roles": roles}, token=admin)
    assert r.status == 200, r
    assert r.json()["roles"] == roles


def _status_within_bound(api: ApiClient, token: str, expected: int) -> int:
    """The admin route's status once it is `expected`; fails if that takes longer than the bound."""
    return wait_for(
        lambda: (s := api.get(ADMIN_ROUTE, token=token).status) == expected and s,
        timeout=ROLES_CACHE_SECONDS + 3,
        interval=0.2,
        message=f"{ADMIN_ROUTE} -> {expected}",
    )


def test_a_demoted_admin_loses_admin_access_and_a_promoted_user_gains_it(api: ApiClient) -> None:
    _, boss = _user(api, ["admin"])
    target_id, target = _user(api, ["admin"])
    assert api.get(ADMIN_ROUTE, token=target).status == 200

    _set_roles(api, boss, target_id, ["customer"])
    # The same, still valid token: what it says about roles no longer counts.
    assert _status_within_bound(api, target, 403) == 403
    assert api.get("/api/me", token=target).json()["roles"] == ["customer"]
    assert api.put(f"/api/users/{target_id}/roles", {"roles": ["admin"]}, token=target).status == 403

    promoted_id, promoted = _user(api, ["customer"])
    assert api.get(ADMIN_ROUTE, token=promoted).status == 403
    _set_roles(api, boss, promoted_id, ["customer", "admin"])
    assert _status_within_bound(api, promoted, 200) == 200

    # Staff-only reads follow the stored roles too, not only the `auth=` role lists.
    support_id, support = _user(api, ["customer"])
    assert api.get(f"/api/users/{target_id}", token=support).status == 403
    _set_roles(api, boss, support_id, ["support"])
    wait_for(
        lambda: api.get(f"/api/users/{target_id}", token=support).status == 200,
        timeout=ROLES_CACHE_SECONDS + 3,
        message="support can read profiles",
    )


def test_a_subject_equal_to_another_users_derived_id_is_a_different_user(api: ApiClient) -> None:
    # A subject a document id cannot hold verbatim gets a derived id (`u-…`).
    victim_id, victim = _user(api, ["customer"], sub=f"tenant/{unique('victim')}")
    assert victim_id.startswith("u-")
    address = {"line1": "1 Secret Rd", "city": "Hidden", "postalCode": "12345", "country": "US"}
    assert api.post("/api/me/addresses", address, token=victim).status == 201

    attacker_id, attacker = _user(api, ["customer"], sub=victim_id)
    assert attacker_id != victim_id
    me = api.get("/api/me", token=attacker).json()
    assert me["addresses"] == []
    # Upper case does not slip through either (stores may compare ids without case).
    shouty_id, _ = _user(api, ["customer"], sub=victim_id.upper())
    assert shouty_id not in (victim_id, attacker_id)
    # The victim still is who they were.
    assert api.get("/api/me", token=victim).json()["addresses"][0]["line1"] == "1 Secret Rd"


def test_get_me_has_an_etag_that_patch_me_honours_in_if_match(api: ApiClient) -> None:
    _, token = _user(api, ["customer"])
    first = api.get("/api/me", token=token)
    etag = first.header("ETag")
    assert etag and etag.startswith('"'), first.headers
    assert api.get("/api/me", token=token).header("ETag") == etag  # stable while unchanged

    changed = api.patch("/api/me", {"displayName": "First Edit"}, token=token, headers={"If-Match": etag})
    assert changed.status == 200, changed
    new_etag = changed.header("ETag")
    assert new_etag and new_etag != etag
    assert api.get("/api/me", token=token).header("ETag") == new_etag

    stale = api.patch("/api/me", {"displayName": "Lost Update"}, token=token, headers={"If-Match": etag})
    assert stale.status == 412, stale
    assert stale.content_type.startswith("application/problem+json")
    assert api.get("/api/me", token=token).json()["displayName"] == "First Edit"
    # Without If-Match PATCH stays unconditional (the contract did not require one).
    assert api.patch("/api/me", {"displayName": "Second"}, token=token).status == 200
