"""The per-request edge pipeline shared by sync and async handlers."""

from __future__ import annotations

import logging
import random
import re
import sys
import time
from typing import Any
from urllib.parse import urlsplit

import azure.functions as func
from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import NonRecordingSpan, Span, SpanContext, SpanKind, Status, StatusCode, TraceFlags
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
    return new_correlation_id()


# The version and variant bits uuid.UUID(int=n, version=4) sets.
_UUID4_CLEAR = ~((0xF000 << 64) | (0xC000 << 48))
_UUID4_SET = (4 << 76) | (0x8000 << 48)


def new_correlation_id() -> str:
    """A correlation id only has to be unique, not unguessable: a version-4 UUID's hex from the
    PRNG rather than uuid4()'s os.urandom syscall, with its bits set as uuid.UUID(int=n,
    version=4).hex sets them, without building the UUID object."""
    return f"{(random.getrandbits(128) & _UUID4_CLEAR) | _UUID4_SET:032x}"


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


# The trace flags a child takes from its parent under the default sampler (ParentBased(ALWAYS_ON)):
# its sampled bit and its random-trace-id bit.
_INHERITED_FLAGS = TraceFlags.SAMPLED | TraceFlags.RANDOM_TRACE_ID


def _unrecorded_span(parent: Context) -> Span | None:
    """The request's span without the SDK's recording machinery, when nothing would ever read it:
    the SDK provider with no span processor (devhost and tests without an exporter; App Insights
    and the console exporter add one), the default sampler and id generator. Creating, attributing
    and ending an SDK span costs about a fifth of a trivial authenticated request; the span's only
    observable effect then is its context (the `traceparent` put on outgoing messages), which this
    span carries exactly as the SDK would have made it: the parent's trace id, state and sampled
    flag, or a new sampled trace. None: take the SDK's path."""
    sdk = sys.modules.get("opentelemetry.sdk.trace")
    if sdk is None:  # not loaded, so not the provider (and `import function_app` stays without it)
        return None
    provider: Any = trace.get_tracer_provider()
    if type(provider) is not sdk.TracerProvider or provider.sampler is not sdk.sampling.DEFAULT_ON:
        return None
    processor = getattr(provider, "_active_span_processor", None)
    if getattr(processor, "_span_processors", True):  # any processor (or an unknown SDK): record
        return None
    ids = provider.id_generator
    if type(ids) is not sdk.id_generator.RandomIdGenerator:
        return None
    incoming = trace.get_current_span(parent).get_span_context()
    if incoming.is_valid:
        flags = TraceFlags(incoming.trace_flags & _INHERITED_FLAGS)
        context = SpanContext(incoming.trace_id, ids.generate_span_id(), False, flags, incoming.trace_state)
    else:
        flags = TraceFlags(TraceFlags.SAMPLED | TraceFlags.RANDOM_TRACE_ID)
        context = SpanContext(ids.generate_trace_id(), ids.generate_span_id(), False, flags)
    return NonRecordingSpan(context)


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


class _RequestScope:
    """Context variables, server span and the access log line around one request.

    A class rather than @contextmanager generators (this one, the span's and OpenTelemetry's
    use_span): the same steps in the same order, without three generators per request. A span
    nothing records (`_unrecorded_span`) is made current with attach/detach, which is all
    use_span(end_on_exit=False) does for a span that does not record."""

    __slots__ = ("attached", "correlation_id", "info", "outcome", "req", "sdk", "span", "started", "tokens")

    def __init__(self, info: RouteInfo, req: func.HttpRequest) -> None:
        self.info, self.req = info, req

    def __enter__(self) -> tuple[str, dict[str, Any]]:
        _ensure_configured()
        info, req = self.info, self.req
        self.correlation_id = correlation_id = _correlation_id(req)
        self.tokens = (correlation_id_var.set(correlation_id), function_name_var.set(info.function_name))
        self.started = time.perf_counter()
        self.outcome: dict[str, Any] = {"status": 500}
        parent = _parent_context(req)
        unrecorded = _unrecorded_span(parent)
        self.sdk: Any = None
        self.attached: object = None
        try:
            if unrecorded is not None:
                self.span: Span = unrecorded
                self.attached = otel_context.attach(trace.set_span_in_context(unrecorded))
            else:
                attributes = {
                    "http.request.method": req.method,
                    "http.route": "/api/" + info.path,
                    "smartcommerce.correlation_id": correlation_id,
                }
                self.sdk = tracer().start_as_current_span(
                    f"{req.method} /api/{info.path}",
                    context=parent,
                    kind=SpanKind.SERVER,
                    attributes=attributes,
                )
                self.span = self.sdk.__enter__()
        except BaseException:
            self._finish()
            raise
        return correlation_id, self.outcome

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None:
                status = self.outcome["status"]
                self.span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    self.span.set_status(Status(StatusCode.ERROR))
            if self.sdk is not None:
                self.sdk.__exit__(exc_type, exc, tb)
            else:
                otel_context.detach(self.attached)  # type: ignore[arg-type]
        finally:
            self._finish()

    def _finish(self) -> None:
        req = self.req
        elapsed = (time.perf_counter() - self.started) * 1000
        _log_request(req.method, _instance(req), self.info.path, self.outcome["status"], elapsed)
        function_name_var.reset(self.tokens[1])
        correlation_id_var.reset(self.tokens[0])


_LOG_LINE = "%s %s %s %.1fms"
# Where the access line is logged from (what findCaller would find, without walking the stack).
_LOG_FUNC = "_finish"


def _log_request(method: str, path: str, route: str, status: int, elapsed: float) -> None:
    """The access log line (App Insights' request log): the same record `log.info` would make,
    with the caller's file and function given rather than searched for on every request."""
    if not log.isEnabledFor(logging.INFO):
        return
    extra = {"http_method": method, "route": route, "status": status, "duration_ms": round(elapsed, 1)}
    record = log.makeRecord(
        log.name,
        logging.INFO,
        __file__,
        _LOG_LINENO,
        _LOG_LINE,
        (method, path, status, elapsed),
        None,
        _LOG_FUNC,
        extra,
    )
    log.handle(record)


_LOG_LINENO = _RequestScope._finish.__code__.co_firstlineno


def _instance(req: func.HttpRequest) -> str:
    """urlsplit(url).path, without urlsplit for the plain `http(s)://host/path?query` URLs hosts
    pass (urlsplit first strips tabs, newlines and leading blanks: such URLs take its path)."""
    url = req.url
    if url.startswith("http://"):
        authority = 7
    elif url.startswith("https://"):
        authority = 8
    else:
        return urlsplit(url).path or "/"
    if "\t" in url or "\n" in url or "\r" in url:
        return urlsplit(url).path or "/"
    start = url.find("/", authority)
    cut = [at for at in (url.find("?", authority), url.find("#", authority)) if at >= 0]
    if start < 0 or (cut and min(cut) < start):
        return urlsplit(url).path or "/"
    end = min((at for at in cut if at > start), default=len(url))
    return url[start:end] or "/"


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
    with _RequestScope(info, req) as (correlation_id, outcome):
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
    with _RequestScope(info, req) as (correlation_id, outcome):
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
