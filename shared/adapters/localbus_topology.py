"""The bus topology (topic, subscriptions with event-type filters, queues) from infra/messaging.json.

The same plain-JSON file feeds the Bicep templates (loadJsonContent) and the local bus, so what
runs locally and what is deployed cannot drift apart.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_MAX_DELIVERY_COUNT = 5
DEFAULT_LOCK_SECONDS = 30.0
ALL_TYPES = ("*",)

TOPOLOGY_FILE = Path(__file__).resolve().parents[2] / "infra" / "messaging.json"


@dataclass(frozen=True)
class SkipRule:
    """messaging.json `skipWhen`: messages of these types whose application property `property`
    is exactly `equals` are not delivered to the subscription. A message without the property is
    delivered (what a producer did not say is not taken as "skip"), so the rule only removes
    deliveries the consumer would have ignored: it never drops one it needs."""

    event_types: tuple[str, ...]
    property: str
    equals: str

    def skips(self, event_type: str | None, properties: Mapping[str, object]) -> bool:
        return event_type in self.event_types and properties.get(self.property) == self.equals


@dataclass(frozen=True)
class EntitySpec:
    """A queue (`subscription == ""`) or a topic subscription, as the bus stores it."""

    entity: str
    subscription: str = ""
    event_types: tuple[str, ...] = ALL_TYPES
    max_delivery_count: int = DEFAULT_MAX_DELIVERY_COUNT
    lock_seconds: float = DEFAULT_LOCK_SECONDS
    skip: SkipRule | None = None

    @property
    def is_queue(self) -> bool:
        return self.subscription == ""

    def matches(self, event_type: str | None, properties: Mapping[str, object] | None = None) -> bool:
        """The subscription's filter (Bicep's SQL filter says the same): the event type, then the
        `skipWhen` rule on the message's application properties when they are given."""
        if not ("*" in self.event_types or (event_type is not None and event_type in self.event_types)):
            return False
        return self.skip is None or properties is None or not self.skip.skips(event_type, properties)

    @property
    def label(self) -> str:
        return self.entity if self.is_queue else f"{self.entity}/{self.subscription}"


@dataclass(frozen=True)
class Topology:
    topic: str
    entities: tuple[EntitySpec, ...] = field(default_factory=tuple)

    def subscriptions(self, topic: str | None = None) -> list[EntitySpec]:
        t = topic or self.topic
        return [e for e in self.entities if not e.is_queue and e.entity == t]

    def queues(self) -> list[EntitySpec]:
        return [e for e in self.entities if e.is_queue]

    def find(self, entity: str, subscription: str | None = None) -> EntitySpec | None:
        sub = subscription or ""
        return next((e for e in self.entities if e.entity == entity and e.subscription == sub), None)


def _subscription(topic: str, raw: dict[str, Any]) -> EntitySpec:
    types = raw.get("eventTypes") or list(ALL_TYPES)
    if not isinstance(types, list) or not all(isinstance(t, str) for t in types):
        raise ValueError(f"subscription {raw.get('name')!r}: eventTypes must be a list of strings")
    return EntitySpec(
        entity=topic,
        subscription=str(raw["name"]),
        event_types=tuple(types),
        max_delivery_count=int(raw.get("maxDeliveryCount", DEFAULT_MAX_DELIVERY_COUNT)),
        lock_seconds=float(raw.get("lockDurationSeconds", DEFAULT_LOCK_SECONDS)),
        skip=parse_skip(raw.get("skipWhen"), f"subscription {raw.get('name')!r}"),
    )


def parse_skip(raw: Any, where: str = "skipWhen") -> SkipRule | None:
    """`{"eventTypes": [...], "property": "name", "equals": "value"}` (all strings) or None."""
    if raw is None:
        return None
    types = raw.get("eventTypes") if isinstance(raw, dict) else None
    prop, equals = (raw.get("property"), raw.get("equals")) if isinstance(raw, dict) else (None, None)
    if (
        not isinstance(types, list)
        or not types
        or not all(isinstance(t, str) for t in types)
        or not isinstance(prop, str)
        or not isinstance(equals, str)
    ):
        raise ValueError(f"{where}: skipWhen needs eventTypes (strings), property and equals (strings)")
    # They go into the generated SQL filter: an identifier and a literal without quotes.
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", prop) or "'" in equals:
        raise ValueError(f"{where}: skipWhen property must be an identifier and equals have no quote")
    return SkipRule(tuple(types), prop, equals)


def skip_json(rule: SkipRule) -> dict[str, Any]:
    return {"eventTypes": list(rule.event_types), "property": rule.property, "equals": rule.equals}


def _queue(raw: dict[str, Any]) -> EntitySpec:
    return EntitySpec(
        entity=str(raw["name"]),
        max_delivery_count=int(raw.get("maxDeliveryCount", DEFAULT_MAX_DELIVERY_COUNT)),
        lock_seconds=float(raw.get("lockDurationSeconds", DEFAULT_LOCK_SECONDS)),
    )


def parse_topology(data: dict[str, Any]) -> Topology:
    topic = str(data["topic"])
    entities: list[EntitySpec] = [_subscription(topic, s) for s in data.get("subscriptions", [])]
    entities += [_queue(q) for q in data.get("queues", [])]
    _check_unique(entities)
    return Topology(topic, tuple(entities))


def _check_unique(entities: Iterable[EntitySpec]) -> None:
    seen: set[tuple[str, str]] = set()
    for e in entities:
        key = (e.entity, e.subscription)
        if key in seen:
            raise ValueError(f"duplicate bus entity {e.label}")
        seen.add(key)


def load_topology(path: str | Path | None = None) -> Topology:
    """Read infra/messaging.json (or `path`)."""
    p = Path(path) if path is not None else TOPOLOGY_FILE
    return parse_topology(json.loads(p.read_text(encoding="utf-8")))
