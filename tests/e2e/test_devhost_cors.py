"""devhost answers CORS from CORS_ALLOWED_ORIGINS, as the platform does in Azure (siteConfig.cors)."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import StartDevhost
from tests.e2e.helpers import ApiClient

pytestmark = pytest.mark.e2e

SHOP = "https://shop.example.com"


def test_preflight_and_responses_carry_cors_headers_for_allowed_origins_only(
    start_devhost: StartDevhost,
) -> None:
    dh = start_devhost(
        app="tests.e2e.apps.foundation_app:app",
        env={"CORS_ALLOWED_ORIGINS": f"{SHOP}, http://localhost:3000"},
    )
    api = ApiClient(dh.url)
    preflight = api.request(
        "OPTIONS",
        "/api/health",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "authorization, if-match",
        },
    )
    assert preflight.status == 204, preflight
    assert preflight.header("Access-Control-Allow-Origin") == SHOP
    assert "PUT" in str(preflight.header("Access-Control-Allow-Methods"))
    allowed_headers = str(preflight.header("Access-Control-Allow-Headers")).lower()
    assert "authorization" in allowed_headers and "if-match" in allowed_headers

    simple = api.get("/api/health", headers={"Origin": SHOP})
    assert simple.status == 200, simple
    assert simple.header("Access-Control-Allow-Origin") == SHOP
    assert "x-correlation-id" in str(simple.header("Access-Control-Expose-Headers")).lower()

    other = api.get("/api/health", headers={"Origin": "https://evil.example"})
    assert other.status == 200 and other.header("Access-Control-Allow-Origin") is None
    refused = api.request(
        "OPTIONS",
        "/api/health",
        headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"},
    )
    assert refused.status != 204 and refused.header("Access-Control-Allow-Origin") is None
