"""JWT bearer authentication, role checks and the ownership helper.

Tokens are RS256 only (never `none`, never HS*: a shared secret would let anyone holding it mint
tokens). In Azure the keys come from the identity provider's JWKS (`AUTH_JWKS_URI`); in development
tokens minted by `POST /api/dev/token` are signed with a key kept in the data dir
(`shared.kernel.devkeys`) and are refused in production, where no such key is consulted.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import azure.functions as func
import jwt

from shared.kernel.devkeys import dev_signing_key
from shared.kernel.errors import NotFound, ServiceUnavailable, Unauthorized

# Identity lives in the kernel (services check roles and ownership without the HTTP edge); the
# edge re-exports it for its own callers.
from shared.kernel.identity import (
    ROLES,
    STAFF_ROLES,
    Principal,
    ensure_owner,
    principal_from_claims,
    require_roles,
    user_id_for,
)
from shared.settings import Settings, get_settings

ALGORITHM = "RS256"

_jwks_lock = threading.Lock()
_jwks_clients: dict[str, jwt.PyJWKClient] = {}


def _jwks_client(uri: str) -> jwt.PyJWKClient:
    # One client per process: it caches the key set, so validation costs no network round trip.
    with _jwks_lock:
        client = _jwks_clients.get(uri)
        if client is None:
            client = jwt.PyJWKClient(uri, cache_keys=True, lifespan=600, timeout=5)
            _jwks_clients[uri] = client
        return client


def _verification_key(token: str, header: Mapping[str, Any], settings: Settings) -> Any:
    kid = header.get("kid")
    if settings.is_development:
        dev_key = dev_signing_key(settings.data_path)
        if kid == dev_key.kid or not settings.auth_jwks_uri:
            return dev_key.public_key
    if not settings.auth_jwks_uri:
        raise Unauthorized("no key to verify the token with", error="invalid_token")
    try:
        return _jwks_client(settings.auth_jwks_uri).get_signing_key_from_jwt(token).key
    except jwt.PyJWKClientConnectionError as exc:
        raise ServiceUnavailable("the identity provider's keys cannot be fetched right now") from exc
    except jwt.PyJWTError as exc:
        raise Unauthorized("the token's signing key is unknown", error="invalid_token") from exc


_REASONS: tuple[tuple[type[jwt.PyJWTError], str], ...] = (
    (jwt.ExpiredSignatureError, "the token has expired"),
    (jwt.ImmatureSignatureError, "the token is not valid yet"),
    (jwt.InvalidAudienceError, "the token is not for this audience"),
    (jwt.InvalidIssuerError, "the token's issuer is not trusted"),
    (jwt.MissingRequiredClaimError, "the token lacks a required claim"),
    (jwt.InvalidSignatureError, "the token's signature is invalid"),
)


# Tokens verified already: token -> (the settings it was checked under, principal, exp). Checking
# an RS256 signature and the claims cost about a fifth of a `GET /orders/{id}` (docs/performance.md),
# and a client sends the same token with every request. A hit still honours expiry (with the
# leeway); anything else about a token cannot change, as its bytes are what was verified. Bounded:
# emptied when full (valid tokens are just verified again).
_VERIFIED_MAX = 4096
_verified: dict[str, tuple[Settings, Principal, float]] = {}


def verify_token(token: str, settings: Settings | None = None) -> Principal:
    """Validate signature, algorithm, issuer, audience and expiry; Unauthorized otherwise."""
    settings = settings or get_settings()
    hit = _verified.get(token)
    if hit is not None:
        checked_under, principal, exp = hit
        if checked_under is settings and time.time() <= exp + settings.auth_leeway_seconds:
            return principal
        _verified.pop(token, None)
    principal, exp = _verify(token, settings)
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[token] = (settings, principal, exp)
    return principal


def _verify(token: str, settings: Settings) -> tuple[Principal, float]:
    # A JWT is base64url and dots. Hosts hand over non-ASCII header bytes as surrogate escapes,
    # which PyJWT's encode() turns into a UnicodeEncodeError (a 500): refuse them as malformed.
    if not token.isascii():
        raise Unauthorized("the token is malformed", error="invalid_token")
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise Unauthorized("the token is malformed", error="invalid_token") from exc
    if header.get("alg") != ALGORITHM:
        raise Unauthorized("the token's algorithm is not accepted", error="invalid_token")
    key = _verification_key(token, header, settings)
    try:
        claims = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=settings.auth_audience,
            issuer=settings.auth_issuer,
            leeway=settings.auth_leeway_seconds,
            options={"require": ["sub", "exp", "iss", "aud"]},
        )
    except jwt.PyJWTError as exc:
        reason = next((text for kind, text in _REASONS if isinstance(exc, kind)), "the token is invalid")
        raise Unauthorized(reason, error="invalid_token") from exc
    if not isinstance(claims.get("sub"), str) or not claims["sub"]:
        raise Unauthorized("the token's subject is invalid", error="invalid_token")
    return principal_from_claims(claims), float(claims["exp"])


def bearer_token(req: func.HttpRequest) -> str | None:
    header = req.headers.get("authorization")
    if not header:
        return None
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("use the Bearer scheme: `Authorization: Bearer <token>`", error="invalid_request")
    return token.strip()


def authenticate(req: func.HttpRequest) -> Principal:
    token = bearer_token(req)
    if token is None:
        raise Unauthorized("a bearer token is required")
    return verify_token(token)


def mint_dev_token(
    sub: str, roles: Sequence[str], email: str | None = None, name: str | None = None
) -> tuple[str, int]:
    """A development token signed with the data dir's key: `(token, expires_in_seconds)`."""
    settings = get_settings()
    if not settings.is_development:
        raise NotFound("development tokens exist only in development mode")
    key = dev_signing_key(settings.data_path)
    now = int(time.time())
    ttl = settings.dev_token_ttl_seconds
    claims: dict[str, Any] = {
        "sub": sub,
        "roles": [role for role in ROLES if role in roles],
        "iss": settings.auth_issuer,
        "aud": settings.auth_audience,
        "iat": now,
        "nbf": now,
        "exp": now + ttl,
    }
    if email is not None:
        claims["email"] = email
    if name is not None:
        claims["name"] = name
    token = jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid})
    return token, ttl


__all__ = [
    "ALGORITHM",
    "ROLES",
    "STAFF_ROLES",
    "Principal",
    "authenticate",
    "bearer_token",
    "ensure_owner",
    "mint_dev_token",
    "principal_from_claims",
    "require_roles",
    "user_id_for",
    "verify_token",
]
