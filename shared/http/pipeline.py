"""The per-request edge pipeline shared by sync and async handlers."""

from __future__ import annotations

import contextlib
import logging
import random
import re
import time
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func
from opentelemetry.context import Context
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from pydantic import ValidationError

from shared.http.auth import Principal, authenticate, bearer_token, require_roles
from shared.http.context import RequestContext
from shared.http.hooks import run_hooks
from shared.http.parsing import parse_body, parse_query, render, validation_failed
from shared.http.problem import problem_response
from shared.http.registry import RouteInfo
from shared.kernel.errors import NotFound, ServiceUnavailable, Unauthorized
from shared.observability.telemetry import (
    configure_logging,
    configure_tracing,
    correlation_id_var,
    function_name_var,
    tracer,
)
from shared.settings import get_settings

log = logging.getLogger("smartcommerce.http")

_propagator = TraceContextTextMapPropagator()
# An incoming id is echoed only if it is short and plain, so it cannot forge log lines or headers.
_SAFE_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
_configured = False


def _ensure_configured() -> None:
    global _configured
    if _configured:
        return
    _configured = True
    configure_logging()
    try:
        configure_tracing(get_settings())
    except Exception:
        # Telemetry must not take the API down; bad settings surface again (as 500s) in the request.
        log.exception("tracing could not be configured")


def _correlation_id(req: func.HttpRequest) -> str:
    incoming = req.headers.get("x-correlation-id")
    if incoming and _SAFE_ID.match(incoming):
        return incoming
    # A correlation id only has to be unique, not unguessable: a version-4 UUID from the PRNG
    # rather than uuid4()'s os.urandom syscall per request (same 32-hex-digit form).
    return uuid.UUID(int=random.getrandbits(128), version=4).hex


def _parent_context(req: func.HttpRequest) -> Context:
    """The incoming trace context; an empty one (a new trace) without a `traceparent`, exactly
    what the propagator answers then, without building a carrier for every request."""
    traceparent = req.headers.get("traceparent")
    if not traceparent:
        return Context()
    carrier = {"traceparent": traceparent}
    tracestate = req.headers.get("tracestate")
    if tracestate is not None:
        carrier["tracestate"] = tracestate
    return _propagator.extract(carrier)


def _principal(info: RouteInfo, req: func.HttpRequest) -> Principal | None:
    if info.auth is None:
        # Anonymous routes personalise when a valid token comes along and ignore a bad one.
        try:
            if bearer_token(req) is None:
                return None
            principal = authenticate(req)
        except (Unauthorized, ServiceUnavailable):
            return None
    else:
        principal = authenticate(req)
    # The hooks may replace the token's roles by the stored ones (docs/security.md): roles are
    # checked on what they return, never on the token alone.
    principal = run_hooks(principal)
    if isinstance(info.auth, tuple):
        require_roles(principal, *info.auth)
    return principal


def _prepare(info: RouteInfo, req: func.HttpRequest, correlation_id: str, client: Any) -> RequestContext:
    if info.dev_only and not get_settings().is_development:
        raise NotFound("no such resource")
    ctx = RequestContext(req=req, correlation_id=correlation_id, route=dict(req.route_params or {}))
    ctx.client = client
    ctx.principal = _principal(info, req)
    if info.query is not None:
        ctx.query = parse_query(req.params, info.query)
    if info.body is not None and (info.body_required or (req.get_body() or b"").strip()):
        ctx.body = parse_body(req, info.body)
    return ctx


@contextlib.contextmanager
def _request_scope(info: RouteInfo, req: func.HttpRequest) -> Iterator[tuple[str, dict[str, Any]]]:
    """Context variables, server span and the access log line around one request."""
    _ensure_configured()
    correlation_id = _correlation_id(req)
    tokens = (correlation_id_var.set(correlation_id), function_name_var.set(info.function_name))
    started = time.perf_counter()
    outcome: dict[str, Any] = {"status": 500}
    parent = _parent_context(req)
    attributes = {
        "http.request.method": req.method,
        "http.route": "/api/" + info.path,
        "smartcommerce.correlation_id": correlation_id,
    }
    try:
        with tracer().start_as_current_span(
            f"{req.method} /api/{info.path}", context=parent, kind=SpanKind.SERVER, attributes=attributes
        ) as span:
            yield correlation_id, outcome
            span.set_attribute("http.response.status_code", outcome["status"])
            if outcome["status"] >= 500:
                span.set_status(Status(StatusCode.ERROR))
    finally:
        elapsed = (time.perf_counter() - started) * 1000
        path = _instance(req)
        log.info(
            "%s %s %s %.1fms",
            req.method,
            path,
            outcome["status"],
            elapsed,
            extra={
                "http_method": req.method,
                "route": info.path,
                "status": outcome["status"],
                "duration_ms": round(elapsed, 1),
            },
        )
        function_name_var.reset(tokens[1])
        correlation_id_var.reset(tokens[0])


def _instance(req: func.HttpRequest) -> str:
    return urlsplit(req.url).path or "/"


def _error(exc: BaseException, req: func.HttpRequest, correlation_id: str) -> func.HttpResponse:
    return problem_response(exc, correlation_id, instance=_instance(req))


def _handler_validation(exc: ValidationError) -> Exception:
    # A handler validating client data itself: still the client's input, so a 422 rather than a 500.
    log.warning("handler raised a pydantic ValidationError; mapped to 422")
    return validation_failed(exc)


def _finish(response: func.HttpResponse, correlation_id: str, outcome: dict[str, Any]) -> func.HttpResponse:
    response.headers["x-correlation-id"] = correlation_id
    outcome["status"] = response.status_code
    return response


def handle_sync(info: RouteInfo, req: func.HttpRequest) -> func.HttpResponse:
    with _request_scope(info, req) as (correlation_id, outcome):
        try:
            ctx = _prepare(info, req, correlation_id, None)
            try:
                result = info.handler(ctx)
            except ValidationError as exc:
                raise _handler_validation(exc) from exc
            response = render(result, info.status)
        except Exception as exc:
            response = _error(exc, req, correlation_id)
        return _finish(response, correlation_id, outcome)
    raise AssertionError("unreachable")  # pragma: no cover - keeps mypy sure of the return


async def handle_async(info: RouteInfo, req: func.HttpRequest, client: Any) -> func.HttpResponse:
    with _request_scope(info, req) as (correlation_id, outcome):
        try:
            ctx = _prepare(info, req, correlation_id, client)
            try:
                result = await info.handler(ctx)
            except ValidationError as exc:
                raise _handler_validation(exc) from exc
            response = render(result, info.status)
        except Exception as exc:
            response = _error(exc, req, correlation_id)
        return _finish(response, correlation_id, outcome)
    raise AssertionError("unreachable")  # pragma: no cover
