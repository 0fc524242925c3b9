"""Who is calling: the `Principal` a validated token yields, the roles, and the ownership checks
every service applies. No HTTP and no token handling here (that is shared.http.auth): a service
takes a Principal and asks `ensure_owner` / `require_roles`."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from shared.kernel.errors import Forbidden, NotFound, Unauthorized

ROLES: tuple[str, ...] = ("customer", "support", "admin")
STAFF_ROLES: tuple[str, ...] = ("support", "admin")


@dataclass(frozen=True)
class Principal:
    sub: str
    roles: tuple[str, ...] = ()
    email: str | None = None
    name: str | None = None
    claims: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)

    def has_role(self, *roles: str) -> bool:
        return any(role in self.roles for role in roles)

    @property
    def is_staff(self) -> bool:
        return self.has_role(*STAFF_ROLES)

    @property
    def user_id(self) -> str:
        """The caller's id in every context (profile, orders, payments, notifications): the token
        subject, or a stable hash of it when a document id cannot hold it."""
        return user_id_for(self.sub)


_SAFE_ID = re.compile(r"^[A-Za-z0-9._:@-]{1,128}$")
# Derived ids live in their own namespace: `u-` + 40 hex digits. A subject is used verbatim only if
# it cannot be mistaken for one, i.e. it does not start with `u-` (in any case: some stores compare
# ids case-insensitively). Any other subject, `u-…` ones included, is hashed, so a token whose `sub`
# is literally another user's derived id gets an id of its own (issue 17, point 4).
DERIVED_PREFIX = "u-"


def user_id_for(sub: str) -> str:
    """The user id for a token subject. Subjects are GUIDs or base64url strings in practice and
    are kept as they are; one a document id cannot hold (`|`, `/`, very long, ...) or one inside
    the derived namespace (`u-…`) is hashed to one stable id. No two subjects share an id (short
    of a SHA-256 collision): verbatim ids never start with `u-`, hashed ones always do."""
    if _SAFE_ID.match(sub) and sub[:2].lower() != DERIVED_PREFIX:
        return sub
    return DERIVED_PREFIX + hashlib.sha256(sub.encode()).hexdigest()[:40]


def _roles_from(claims: Mapping[str, Any]) -> tuple[str, ...]:
    raw = claims.get("roles", [])
    if isinstance(raw, str):
        raw = raw.split()
    if not isinstance(raw, list):
        return ()
    return tuple(role for role in ROLES if role in raw)


def _email_from(claims: Mapping[str, Any]) -> str | None:
    email = claims.get("email")
    if isinstance(email, str):
        return email
    emails = claims.get("emails")  # Azure AD B2C puts them in a list
    if isinstance(emails, list) and emails and isinstance(emails[0], str):
        return emails[0]
    return None


def principal_from_claims(claims: Mapping[str, Any]) -> Principal:
    name = claims.get("name")
    return Principal(
        sub=str(claims["sub"]),
        roles=_roles_from(claims),
        email=_email_from(claims),
        name=name if isinstance(name, str) else None,
        claims=dict(claims),
    )


def require_roles(principal: Principal | None, *roles: str) -> Principal:
    if principal is None:
        raise Unauthorized("a bearer token is required")
    if not principal.has_role(*roles):
        raise Forbidden(f"requires one of the roles: {', '.join(roles)}")
    return principal


def ensure_owner(
    principal: Principal | None, owner_id: str, staff_roles: tuple[str, ...] = STAFF_ROLES
) -> Principal:
    """The owner or staff may see the resource; anyone else gets 404, as if it did not exist, so
    that ids cannot be probed."""
    if principal is None:
        raise Unauthorized("a bearer token is required")
    if principal.user_id != owner_id and not principal.has_role(*staff_roles):
        raise NotFound("the resource does not exist")
    return principal
