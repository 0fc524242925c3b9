"""Helpers for the HTTP edge tests: isolated settings, requests, tokens and a JWKS server."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import azure.functions as func
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from shared.kernel.devkeys import DevSigningKey, jwk_thumbprint, public_jwk
from shared.settings import env_names, reset_settings_cache

ISSUER = "https://smartcommerce.local/dev"
AUDIENCE = "api://smartcommerce"

PRODUCTION_ENV = {
    "SC_ENV": "production",
    "SC_DOCUMENT_STORE": "cosmos",
    "SC_BLOB_STORE": "azure",
    "SC_EVENT_BUS": "servicebus",
    "COSMOS__accountEndpoint": "https://example.documents.azure.com:443/",
    "SERVICEBUS__fullyQualifiedNamespace": "example.servicebus.windows.net",
    "STORAGE__blobServiceUri": "https://example.blob.core.windows.net",
    "CARD_VAULT_KEY": "a2V5LWZyb20ta2V5LXZhdWx0LXJlZmVyZW5jZQ==",
    "AUTH_JWKS_URI": "http://127.0.0.1:9/never-called",
    "AUTH_ISSUER": "https://login.example.com/tenant/v2.0",
}


@pytest.fixture(autouse=True)
def fresh_settings() -> Iterator[None]:
    """Import this into a test module: settings cached during a test (which point at its tmp dir)
    are dropped afterwards, so later tests read the environment again."""
    reset_settings_cache()
    yield
    reset_settings_cache()


def use_env(monkeypatch: pytest.MonkeyPatch, data_dir: Path, **values: str) -> None:
    """Only the given settings (plus the data dir) are set; everything else takes its default."""
    for name in env_names():
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SC_DATA_DIR", str(data_dir))
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    reset_settings_cache()


def use_production(monkeypatch: pytest.MonkeyPatch, data_dir: Path, **overrides: str) -> None:
    use_env(monkeypatch, data_dir, **{**PRODUCTION_ENV, **overrides})


def request(
    method: str,
    path: str,
    *,
    body: bytes | Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    route_params: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    token: str | None = None,
) -> func.HttpRequest:
    raw = json.dumps(body).encode() if isinstance(body, Mapping) else (body or b"")
    all_headers = dict(headers or {})
    if body is not None and not any(k.lower() == "content-type" for k in all_headers):
        all_headers["content-type"] = "application/json"  # what every JSON client sends
    if token is not None:
        all_headers["authorization"] = f"Bearer {token}"
    return func.HttpRequest(
        method=method,
        url=f"http://localhost:7071{path}",
        headers=all_headers,
        params=dict(params or {}),
        route_params=dict(route_params or {}),
        body=raw,
    )


def problem(response: func.HttpResponse) -> dict[str, Any]:
    assert response.mimetype == "application/problem+json"
    data: dict[str, Any] = json.loads(response.get_body())
    assert {"type", "title", "status", "detail", "code"} <= set(data)
    assert data["status"] == response.status_code
    return data


def new_rsa_key() -> DevSigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return DevSigningKey(
        private_pem=pem, public_key=private.public_key(), kid=jwk_thumbprint(private.public_key())
    )


def sign(key: DevSigningKey, *, kid: str | None = None, algorithm: str = "RS256", **claims: Any) -> str:
    now = int(time.time())
    payload: dict[str, Any] = {"sub": "user-1", "iss": ISSUER, "aud": AUDIENCE, "iat": now, "exp": now + 600}
    payload.update(claims)
    for name in [name for name, value in payload.items() if value is None]:
        del payload[name]
    return jwt.encode(payload, key.private_pem, algorithm=algorithm, headers={"kid": kid or key.kid})


@contextmanager
def jwks_server(*keys: DevSigningKey) -> Iterator[str]:
    """A real JWKS endpoint on a free 127.0.0.1 port; yields its URL and always stops."""
    document = json.dumps({"keys": [public_jwk(key) for key in keys]}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(document)))
            self.end_headers()
            self.wfile.write(document)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/.well-known/jwks.json"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
