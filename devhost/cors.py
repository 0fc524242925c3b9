"""CORS in devhost, as the Functions platform does it in Azure (siteConfig.cors, before the worker).

Origins come from one setting, `CORS_ALLOWED_ORIGINS` (comma-separated; `*` for any), the same name
main.bicep sets from its `corsAllowedOrigins` parameter. A preflight (`OPTIONS` with
`Access-Control-Request-Method`) from an allowed origin is answered 204 here, without invoking a
function; other requests from it get `Access-Control-Allow-Origin` on their response. Requests
from other origins pass through without CORS headers (the browser then blocks them), as in Azure.
Kept small on purpose; issue 17 (API hardening) may grow it.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web
from aiohttp.typedefs import Middleware

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ALLOW_METHODS = "GET, POST, PUT, PATCH, DELETE"
ALLOW_HEADERS = (
    "Authorization, Content-Type, If-Match, If-None-Match, Idempotency-Key, x-correlation-id, "
    "x-sc-user-id, traceparent"
)
EXPOSE_HEADERS = "ETag, Location, Retry-After, x-correlation-id"
MAX_AGE_SECONDS = "600"


def cors_middleware(origins: frozenset[str]) -> Middleware:
    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        origin = request.headers.get("Origin", "")
        allowed = bool(origin) and ("*" in origins or origin.rstrip("/") in origins)
        if not allowed:
            return await handler(request)
        headers = {"Access-Control-Allow-Origin": origin, "Vary": "Origin"}
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            headers |= {
                "Access-Control-Allow-Methods": ALLOW_METHODS,
                "Access-Control-Allow-Headers": ALLOW_HEADERS,
                "Access-Control-Max-Age": MAX_AGE_SECONDS,
            }
            return web.Response(status=204, headers=headers)
        response = await handler(request)
        response.headers.update(headers)
        response.headers["Access-Control-Expose-Headers"] = EXPOSE_HEADERS
        return response

    return middleware
