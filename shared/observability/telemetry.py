"""Structured logs and OpenTelemetry traces.

Two context variables carry the correlation id and the function name of the current invocation;
every log record gets them as attributes (`correlation_id`, `function_name`) whatever handler
writes it: ours locally, the Functions worker's or Azure Monitor's in Azure (which exports record
attributes as custom dimensions).

Tracing: Azure Monitor when `APPLICATIONINSIGHTS_CONNECTION_STRING` is set (imported lazily: it is
heavy and `import function_app` must stay fast), spans printed to the console with
`SC_TRACE_CONSOLE`, else an SDK provider without exporters, so that trace ids still exist and the
`traceparent` still travels on messages and events.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from contextvars import ContextVar
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from shared.ports.messaging import BusMessage

if TYPE_CHECKING:
    from shared.settings import Settings

correlation_id_var: ContextVar[str | None] = ContextVar("correlation_id", default=None)
function_name_var: ContextVar[str | None] = ContextVar("function_name", default=None)

_propagator = TraceContextTextMapPropagator()
_lock = threading.Lock()
_logging_configured = False
_tracing_configured = False
_base_factory = logging.getLogRecordFactory()

# Attributes a LogRecord has by itself; anything else was passed with `extra=` and is printed.
_STANDARD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "correlation_id",
    "function_name",
    "taskName",
}


# C0 controls, DEL, C1 controls and the Unicode line/paragraph separators: any of them in a logged
# value could end a log line early or forge a new one (`GET /api/products/abc%0a<fake line>`).
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escape_one(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def escape_control(text: str) -> str:
    """A newline becomes the four characters \\x0a, and so on: the value stays readable and can no
    longer start a log line of its own."""
    if text.isprintable():  # none of _CONTROL's characters is printable: nothing to escape
        return text
    return _CONTROL.sub(_escape_one, text)


class _Escaped:
    """Wraps a non-string log argument so its str()/repr() are escaped when the message is built."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return escape_control(str(self.value))

    def __repr__(self) -> str:
        return escape_control(repr(self.value))


def _safe_arg(value: object) -> object:
    if isinstance(value, str):
        return escape_control(value)
    if value is None or isinstance(value, int | float):  # bool is an int; %d and %.1f keep working
        return value
    return _Escaped(value)


def _record_factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _base_factory(*args, **kwargs)
    record.correlation_id = correlation_id_var.get()
    record.function_name = function_name_var.get()
    # Every logged field is escaped at the source, so every handler (ours, devhost's, the Functions
    # worker's, Azure Monitor's) gets one line per record whatever a client put in a path or header.
    # Tracebacks (exc_info) are formatted later by the handler and keep their own newlines.
    if isinstance(record.msg, str):
        record.msg = escape_control(record.msg)
    if not record.args:  # a line built beforehand (devhost's invocation line): nothing to wrap
        return record
    if isinstance(record.args, tuple):
        record.args = tuple(_safe_arg(a) for a in record.args)
    elif isinstance(record.args, dict):
        record.args = {k: _safe_arg(v) for k, v in record.args.items()}
    return record


class JsonFormatter(logging.Formatter):
    """One JSON object per line: easy to grep locally and to parse in log pipelines."""

    converter = staticmethod(time.gmtime)  # type: ignore[assignment]  # UTC, as the "Z" says

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("correlation_id", "function_name"):
            value = getattr(record, key, None)
            if value:
                entry[key] = value
        for key, value in record.__dict__.items():
            if key not in _STANDARD_ATTRS and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str)


def configure_logging(level: str | int | None = None) -> None:
    """Idempotent. Tags every record with the context; adds a JSON stdout handler only when
    nobody (the Functions worker, devhost, pytest) has configured the root logger already."""
    global _logging_configured
    with _lock:
        if _logging_configured:
            return
        logging.setLogRecordFactory(_record_factory)
        root = logging.getLogger()
        if not root.handlers:
            handler = logging.StreamHandler()
            handler.setFormatter(JsonFormatter())
            root.addHandler(handler)
        if level is not None:
            root.setLevel(level)
        _logging_configured = True


def configure_tracing(settings: Settings) -> None:
    """Once per process; later calls do nothing."""
    global _tracing_configured
    with _lock:
        if _tracing_configured:
            return
        _tracing_configured = True
        if settings.appinsights_connection_string:
            from azure.monitor.opentelemetry import configure_azure_monitor  # heavy: lazy on purpose

            configure_azure_monitor(connection_string=settings.appinsights_connection_string)
            return
        from opentelemetry.sdk.trace import TracerProvider

        provider = TracerProvider()
        if settings.trace_console:
            from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor

            provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
        trace.set_tracer_provider(provider)


# (provider, its tracer): the SDK's get_tracer builds scope objects and edits the global warning
# filters on every call, a real cost per request; the pair is replaced when the provider changes.
_tracer_cache: tuple[object, trace.Tracer] | None = None


def tracer() -> trace.Tracer:
    global _tracer_cache
    provider = trace.get_tracer_provider()
    cached = _tracer_cache
    if cached is not None and cached[0] is provider:
        return cached[1]
    got = trace.get_tracer("smartcommerce")
    _tracer_cache = (provider, got)
    return got


def current_traceparent() -> str | None:
    """W3C `traceparent` of the current span, to put on outgoing messages and events."""
    carrier: dict[str, str] = {}
    _propagator.inject(carrier)
    return carrier.get("traceparent")


@contextlib.contextmanager
def span_from_traceparent(
    name: str, traceparent: str | None, *, kind: SpanKind = SpanKind.CONSUMER, tracestate: str | None = None
) -> Iterator[Span]:
    """A span continuing the trace a message was sent in (a new trace if it carried none)."""
    carrier = {"traceparent": traceparent} if traceparent else {}
    if tracestate and traceparent:
        carrier["tracestate"] = tracestate
    parent = _propagator.extract(carrier)
    with tracer().start_as_current_span(name, context=parent, kind=kind) as span:
        yield span


def with_trace_context(messages: Sequence[BusMessage]) -> list[BusMessage]:
    """`messages` with the current span's `traceparent` on each one that carries none yet.

    Events keep the trace they were created in (the outbox relay runs outside any request span,
    and the event's own traceparent is the right parent); commands and other bare messages sent
    from inside a span get the current one, so the consumer continues this trace either way."""
    current = current_traceparent()
    if current is None:
        return list(messages)
    return [
        m
        if m.application_properties.get("traceparent")
        else replace(m, application_properties={**m.application_properties, "traceparent": current})
        for m in messages
    ]
