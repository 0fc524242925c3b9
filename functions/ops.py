"""Operations and local development: health, the OpenAPI document, development tokens."""

from __future__ import annotations

from typing import Any, Literal

import azure.functions as func
from pydantic import Field

from shared.composition import register_health_checks
from shared.http import Api, RequestContext
from shared.http.auth import mint_dev_token
from shared.http.health import run_checks
from shared.http.openapi import build_openapi
from shared.kernel.schema import ApiModel

bp = func.Blueprint()
api = Api(bp, tag="ops")
# Documents, blobs and events appear in /api/health from the first request, used yet or not.
register_health_checks()


class HealthReport(ApiModel):
    status: str = Field(description='"ok" or "degraded"')
    checks: dict[str, dict[str, Any]]


class DevTokenRequest(ApiModel):
    sub: str = Field(min_length=1, max_length=128)
    roles: list[Literal["customer", "support", "admin"]] = Field(default_factory=list, max_length=3)
    email: str | None = Field(None, max_length=320)
    name: str | None = Field(None, max_length=200)


class DevToken(ApiModel):
    access_token: str
    token_type: str = "Bearer"
    expires_in: int


@api.route("health", methods=["GET"], response=HealthReport, summary="Status of each dependency")
def health(ctx: RequestContext) -> HealthReport:
    # API.md: always 200; "degraded" tells monitors which dependency is failing.
    status, checks = run_checks()
    return HealthReport(status=status, checks=checks)


@api.route("openapi.json", methods=["GET"], summary="This API's OpenAPI 3.1 document")
def openapi_document(ctx: RequestContext) -> dict[str, Any]:
    return build_openapi()


@api.route(
    "dev/token",
    methods=["POST"],
    body=DevTokenRequest,
    response=DevToken,
    dev_only=True,
    summary="Mint a development token (development mode only)",
)
def dev_token(ctx: RequestContext) -> DevToken:
    request = ctx.body_as(DevTokenRequest)
    token, expires_in = mint_dev_token(request.sub, request.roles, email=request.email, name=request.name)
    return DevToken(access_token=token, expires_in=expires_in)
