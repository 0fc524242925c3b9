"""CloudEvents envelope, event registry and new_event."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from opentelemetry.sdk.trace import TracerProvider
from pydantic import ValidationError

from shared.kernel.schema import ApiModel
from shared.messaging.events import (
    CloudEvent,
    EventDeadLettered,
    PlatformPinged,
    event_data,
    event_spec,
    event_specs,
    new_event,
    register_event,
)


def test_new_event_fills_the_cloudevents_attributes() -> None:
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    event = new_event(PlatformPinged(requested_by="ops"), subject="ping-1", event_id="e-1", time=when)
    wire = event.model_dump(mode="json", exclude_none=True)
    assert wire == {
        "specversion": "1.0",
        "id": "e-1",
        "source": "smartcommerce.platform",
        "type": "PlatformPinged",
        "subject": "ping-1",
        "time": "2026-01-02T03:04:05Z",
        "datacontenttype": "application/json",
        "data": {"requestedBy": "ops", "note": ""},
    }


def test_event_ids_are_unique_and_time_is_utc_now() -> None:
    a = new_event(PlatformPinged(requested_by="x"), subject="s")
    b = new_event(PlatformPinged(requested_by="x"), subject="s")
    assert a.id != b.id
    assert a.time.tzinfo is not None
    assert abs((datetime.now(UTC) - a.time).total_seconds()) < 5


def test_traceparent_comes_from_the_current_span() -> None:
    tracer = TracerProvider().get_tracer("test")
    with tracer.start_as_current_span("request") as span:
        event = new_event(PlatformPinged(requested_by="x"), subject="s")
        trace_id = format(span.get_span_context().trace_id, "032x")
    assert event.traceparent is not None
    assert event.traceparent.split("-")[1] == trace_id
    outside = new_event(PlatformPinged(requested_by="x"), subject="s")
    assert outside.traceparent is None


def test_json_and_message_round_trip() -> None:
    event = new_event(EventDeadLettered(event_id="e", event_type="T", handler="h", reason="r"), subject="e")
    assert CloudEvent.from_json(event.to_json()) == event
    message = event.to_message(correlation_id="c-1")
    assert message.message_id == event.id
    assert message.subject == "EventDeadLettered"
    assert message.application_properties == {"type": "EventDeadLettered", "correlationId": "c-1"}
    assert CloudEvent.from_message(message) == event
    typed = event_data(event)
    assert isinstance(typed, EventDeadLettered) and typed.handler == "h"


def test_envelope_validation() -> None:
    with pytest.raises(ValidationError):
        CloudEvent.model_validate(
            {"specversion": "0.3", "id": "x", "source": "s", "type": "t", "time": "2026-01-01T00:00:00Z"}
        )
    with pytest.raises(ValidationError):
        CloudEvent.model_validate({"id": "x", "source": "s", "type": "t"})  # no time


def test_registry_lists_specs_and_refuses_a_second_model_for_a_type() -> None:
    spec = event_spec("PlatformPinged")
    assert spec.producer == "platform" and spec.consumers == ("ops",)
    assert spec.source == "smartcommerce.platform"
    assert "PlatformPinged" in [s.type for s in event_specs()]
    with pytest.raises(ValueError):

        @register_event("PlatformPinged", producer="platform")
        class Impostor(ApiModel):
            x: int

    with pytest.raises(KeyError):
        event_spec("NeverDeclared")


def test_new_event_needs_a_registered_model() -> None:
    class Unregistered(ApiModel):
        x: int = 1

    with pytest.raises(KeyError):
        new_event(Unregistered(), subject="s")
