"""Structured logs carry the context; traceparents go out and come back in."""

from __future__ import annotations

import json
import logging
import re
import subprocess
import sys
from pathlib import Path

import pytest

from shared.observability import telemetry
from shared.observability.telemetry import (
    JsonFormatter,
    configure_logging,
    configure_tracing,
    correlation_id_var,
    current_traceparent,
    function_name_var,
    span_from_traceparent,
    tracer,
)
from shared.settings import get_settings
from tests.unit.edge_support import (
    fresh_settings,  # noqa: F401 - autouse fixture
    use_env,
)

ROOT = Path(__file__).resolve().parents[2]
TRACEPARENT = re.compile(r"^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$")


@pytest.fixture(autouse=True)
def tracing(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_env(monkeypatch, tmp_path)
    configure_tracing(get_settings())


def test_records_carry_correlation_id_and_function_name(caplog: pytest.LogCaptureFixture) -> None:
    configure_logging()
    tokens = correlation_id_var.set("corr-1"), function_name_var.set("get_product")
    try:
        with caplog.at_level(logging.INFO, logger="sc.test"):
            logging.getLogger("sc.test").info("hello %s", "world", extra={"order_id": "o1"})
    finally:
        function_name_var.reset(tokens[1])
        correlation_id_var.reset(tokens[0])
    record = caplog.records[-1]
    assert (record.correlation_id, record.function_name) == ("corr-1", "get_product")  # type: ignore[attr-defined]
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "hello world" and line["level"] == "INFO"
    assert (line["correlation_id"], line["function_name"], line["order_id"]) == (
        "corr-1",
        "get_product",
        "o1",
    )
    assert line["ts"].endswith("Z")


def test_configure_logging_is_idempotent() -> None:
    configure_logging()
    handlers = list(logging.getLogger().handlers)
    configure_logging()
    assert logging.getLogger().handlers == handlers


def test_json_formatter_includes_exceptions() -> None:
    try:
        raise ValueError("bad")
    except ValueError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    assert "ValueError: bad" in json.loads(JsonFormatter().format(record))["exc"]


def test_current_traceparent_inside_a_span() -> None:
    assert current_traceparent() is None
    with tracer().start_as_current_span("outer") as span:
        traceparent = current_traceparent()
        assert traceparent is not None and TRACEPARENT.match(traceparent)
        assert traceparent.split("-")[1] == format(span.get_span_context().trace_id, "032x")


def test_consumer_span_continues_the_senders_trace() -> None:
    with tracer().start_as_current_span("producer"):
        sent = current_traceparent()
    assert sent is not None
    with span_from_traceparent("consume OrderCreated", sent):
        received = current_traceparent()
    assert received is not None
    assert received.split("-")[1] == sent.split("-")[1]
    assert received.split("-")[2] != sent.split("-")[2]


def test_consumer_span_without_traceparent_starts_a_new_trace() -> None:
    with span_from_traceparent("consume", None):
        assert current_traceparent() is not None
    with span_from_traceparent("consume", "garbage"):
        assert current_traceparent() is not None


def test_configure_tracing_runs_once() -> None:
    assert telemetry._tracing_configured
    configure_tracing(get_settings())  # no second provider, no error


def test_import_function_app_stays_light() -> None:
    code = (
        "import sys, function_app; "
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('sklearn', 'scipy', 'pandas') "
        "or m.startswith('azure.monitor')]; print(heavy)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_tracer_is_reused_and_follows_a_new_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    first = tracer()
    assert tracer() is first  # looked up once per provider, not per request
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    monkeypatch.setattr(trace, "get_tracer_provider", lambda: provider)
    replaced = tracer()
    assert replaced is not first
    with replaced.start_as_current_span("on the new provider"):
        pass
    assert [s.name for s in exporter.get_finished_spans()] == ["on the new provider"]


def test_control_characters_in_messages_and_arguments_are_escaped_and_clean_text_is_kept(
    caplog: pytest.LogCaptureFixture,
) -> None:
    configure_logging()
    log = logging.getLogger("sc.test")
    with caplog.at_level(logging.INFO, logger="sc.test"):
        log.info("GET /api/a\nFORGED %s %s %d", "b\r\nc\x00", "line\u2028sep", 7)
        log.info("clean: caf\u00e9 \u00a0nbsp \u65e5\u672c %s", "path/\u00e9")
        log.info("no arguments\x1b[31m")
    forged, clean, bare = (r.getMessage() for r in caplog.records[-3:])
    assert forged == "GET /api/a\\x0aFORGED b\\x0d\\x0ac\\x00 line\\u2028sep 7"
    assert clean == "clean: caf\u00e9 \u00a0nbsp \u65e5\u672c path/\u00e9"
    assert bare == "no arguments\\x1b[31m"
    assert telemetry.escape_control("plain text") == "plain text"
