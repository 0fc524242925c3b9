"""Domain events: the CloudEvents 1.0 envelope, the registry of event types, and helpers.

Each bounded context declares its events where its model lives:

    @register_event("OrderCreated", producer="orders", consumers=["payments", "notifications"])
    class OrderCreated(ApiModel):
        order_id: str
        ...

and raises them through its outbox (`shared.messaging.outbox`), never by publishing directly:

    uow.emit(new_event(OrderCreated(order_id=..., ...), subject=order_id))

The registry is the source of `docs/events.md` (tools/gen_events_doc.py) and lets consumers turn an
envelope's `data` back into the typed model (`event_data`). Names are past tense; `source` is
`smartcommerce.<producer>`.
"""

from __future__ import annotations

import builtins
import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from shared.kernel.schema import ApiModel
from shared.ports.messaging import BusMessage

CLOUDEVENTS_CONTENT_TYPE = "application/cloudevents+json"


class CloudEvent(BaseModel):
    """The envelope on the wire (structured mode): attribute names are the spec's, lowercase."""

    model_config = ConfigDict(extra="allow", frozen=True)  # extension attributes pass through

    specversion: Literal["1.0"] = "1.0"
    id: str
    source: str
    type: str
    subject: str | None = None
    time: datetime
    datacontenttype: str = "application/json"
    data: dict[str, Any] = Field(default_factory=dict)
    traceparent: str | None = None

    def to_json(self) -> str:
        return self.model_dump_json(exclude_none=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> CloudEvent:
        return cls.model_validate_json(raw)

    def to_message(self, *, correlation_id: str | None = None) -> BusMessage:
        """Service Bus message: subject and the `type` property carry the event type so that
        subscriptions can filter; message_id is the event id so the broker dedupes retries."""
        props: dict[str, Any] = {"type": self.type}
        if self.traceparent:
            props["traceparent"] = self.traceparent
        if correlation_id:
            props["correlationId"] = correlation_id
        return BusMessage(
            message_id=self.id,
            body=self.to_json().encode(),
            subject=self.type,
            content_type=CLOUDEVENTS_CONTENT_TYPE,
            correlation_id=correlation_id,
            application_properties=props,
        )

    @classmethod
    def from_message(cls, message: BusMessage) -> CloudEvent:
        return cls.from_json(message.body)


@dataclass(frozen=True)
class EventSpec:
    type: str
    model: builtins.type[BaseModel]
    producer: str
    consumers: tuple[str, ...]
    description: str

    @property
    def source(self) -> str:
        return f"smartcommerce.{self.producer}"


_registry: dict[str, EventSpec] = {}
_by_model: dict[type[BaseModel], EventSpec] = {}

M = TypeVar("M", bound=type[BaseModel])


def _qualname(model: type) -> str:
    return f"{model.__module__}.{model.__qualname__}"


def register_event(
    type: str, *, producer: str, consumers: Sequence[str] = (), description: str | None = None
) -> Callable[[M], M]:
    """Class decorator declaring `type` with the decorated pydantic model as its data schema."""

    def decorate(model: M) -> M:
        existing = _registry.get(type)
        # Re-importing a module re-registers the same class (same qualified name); two classes is a bug.
        if existing is not None and _qualname(existing.model) != _qualname(model):
            raise ValueError(f"event type {type} is already registered by {existing.model!r}")
        doc = description if description is not None else (model.__doc__ or "").strip()
        spec = EventSpec(type, model, producer, tuple(consumers), doc)
        _registry[type] = spec
        _by_model[model] = spec
        return model

    return decorate


def event_specs() -> list[EventSpec]:
    return sorted(_registry.values(), key=lambda s: (s.producer, s.type))


def event_spec(type: str) -> EventSpec:
    try:
        return _registry[type]
    except KeyError:
        raise KeyError(f"unknown event type {type!r}: declare it with @register_event") from None


def current_traceparent() -> str | None:
    """The current span's `traceparent` (None outside a span or without telemetry)."""
    return _current_traceparent()


def _current_traceparent() -> str | None:
    try:
        from shared.observability.telemetry import current_traceparent
    except ImportError:  # telemetry not wired (tools, some tests): events still work
        return None
    return current_traceparent()


def new_event(
    data: BaseModel,
    *,
    subject: str,
    event_id: str | None = None,
    time: datetime | None = None,
    traceparent: str | None = None,
) -> CloudEvent:
    """An envelope for a registered data model; the trace context defaults to the current span's."""
    spec = _by_model.get(type(data))
    if spec is None:
        raise KeyError(f"{type(data).__name__} is not a registered event model")
    return CloudEvent(
        id=event_id or str(uuid.uuid4()),
        source=spec.source,
        type=spec.type,
        subject=subject,
        time=time or datetime.now(UTC),
        data=json.loads(data.model_dump_json(by_alias=True)),
        traceparent=traceparent if traceparent is not None else _current_traceparent(),
    )


def event_data(event: CloudEvent) -> BaseModel:
    """The typed data of a registered event (validation errors surface as pydantic errors)."""
    return event_spec(event.type).model.model_validate(event.data)


# --- platform events (the contexts register their own next to their models) --------------------


@register_event("PlatformPinged", producer="platform", consumers=["ops"])
class PlatformPinged(ApiModel):
    """An operator checked the event path end to end (outbox -> relay -> bus -> handler)."""

    requested_by: str
    note: str = ""


@register_event("EventDeadLettered", producer="platform", consumers=["ops"])
class EventDeadLettered(ApiModel):
    """A handler gave up on an event after its retries; ops look at the dead-letter queue."""

    event_id: str
    event_type: str
    handler: str
    reason: str
