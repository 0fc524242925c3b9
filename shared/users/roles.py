"""Which roles a caller has: the one rule, applied to every authenticated request.

The source of truth is the user's profile (docs/security.md, "Roles"):

- A profile is created from the token's claims on the first request; until an admin sets the
  user's roles with `PUT /users/{id}/roles`, the caller has what the token grants (the identity
  provider's app-role assignment, which also seeded the profile).
- From that PUT on the profile's roles are authoritative (`rolesManaged: true`): a demoted admin
  loses admin access and a promoted customer gains it, whatever their token still says.

Stored roles are cached per process for `AUTH_ROLES_CACHE_SECONDS` (≤ 60 s, default 30): that is
the bound on how soon a change is seen by other instances; the instance that served the PUT
forgets its entry at once.
"""

from __future__ import annotations

import dataclasses
import threading
import time

from shared.kernel.identity import ROLES, Principal, user_id_for
from shared.ports.documents import DocumentStore
from shared.users.repository import UserRepository

MAX_ENTRIES = 100_000

# user id -> (the managed roles, None while the token's roles apply; monotonic expiry)
_cache: dict[str, tuple[tuple[str, ...] | None, float]] = {}
_lock = threading.Lock()


def _managed_roles(store: DocumentStore, user_id: str) -> tuple[str, ...] | None:
    doc = UserRepository(store).get(user_id)
    if doc is None or not doc.get("rolesManaged"):
        return None
    stored = doc.get("roles") or []
    return tuple(role for role in ROLES if role in stored)


def stored_roles(store: DocumentStore, user_id: str, *, ttl: float) -> tuple[str, ...] | None:
    """The roles an admin set for `user_id`, None if none were set; read at most every `ttl` s."""
    now = time.monotonic()
    if ttl > 0:
        with _lock:
            hit = _cache.get(user_id)
        if hit is not None and hit[1] > now:
            return hit[0]
    roles = _managed_roles(store, user_id)
    if ttl > 0:
        with _lock:
            if len(_cache) >= MAX_ENTRIES:
                _cache.clear()
            _cache[user_id] = (roles, now + ttl)
    return roles


def with_effective_roles(principal: Principal, *, store: DocumentStore, ttl: float) -> Principal:
    """The caller with the roles authorization must check (see the module docstring)."""
    roles = stored_roles(store, user_id_for(principal.sub), ttl=ttl)
    if roles is None or roles == principal.roles:
        return principal
    return dataclasses.replace(principal, roles=roles)


def forget(user_id: str | None = None) -> None:
    """Drop one user's cached roles (after a change in this process), or all of them (tests)."""
    with _lock:
        if user_id is None:
            _cache.clear()
        else:
            _cache.pop(user_id, None)
