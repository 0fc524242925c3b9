"""Match request paths against route templates by ASP.NET Core precedence.

The real host ranks candidate routes by specificity, not by registration order: per segment a
literal beats a complex segment, which beats a constrained parameter, which beats a plain
parameter, which beats a catch-all. Method filtering happens before ranking, and a path that
matches only routes for other methods is a 405.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar
from urllib.parse import unquote

from devhost.routing.template import Param, Segment, parse_template

T = TypeVar("T")

ALL_METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE"})


@dataclass(frozen=True)
class Route(Generic[T]):
    template: str
    methods: frozenset[str]
    target: T
    order: int
    segments: tuple[Segment, ...] = field(compare=False)

    @property
    def precedence(self) -> tuple[int, ...]:
        return tuple(s.rank for s in self.segments)

    def match(self, parts: Sequence[str]) -> dict[str, str] | None:
        values: dict[str, str] = {}
        for i, seg in enumerate(self.segments):
            param = seg.param
            if param is not None and param.catch_all:
                rest = "/".join(parts[i:])
                if rest == "" and param.default is not None:
                    rest = param.default
                if rest and not param.accepts(rest):
                    return None
                values[param.name] = rest
                return values
            if i >= len(parts):
                return values if self._rest_optional(i, values) else None
            if not _match_segment(seg, parts[i], values):
                return None
        return values if len(parts) == len(self.segments) else None

    def _rest_optional(self, start: int, values: dict[str, str]) -> bool:
        for seg in self.segments[start:]:
            p = seg.param
            if p is None or not (p.optional or p.catch_all):
                return False
            if p.default is not None:
                values[p.name] = p.default
        return True


def _match_segment(seg: Segment, text: str, values: dict[str, str]) -> bool:
    literal = seg.literal
    if literal is not None:
        return literal.lower() == text.lower()
    param = seg.param
    if param is not None:
        if text == "" or not param.accepts(text):
            return False
        values[param.name] = text
        return True
    assert seg.regex is not None
    m = seg.regex.match(text)
    if m is None:
        return False
    params = [p for p in seg.parts if isinstance(p, Param)]
    if not all(p.accepts(m.group(p.name)) for p in params):
        return False
    values.update({p.name: m.group(p.name) for p in params})
    return True


@dataclass
class Match(Generic[T]):
    route: Route[T] | None
    params: dict[str, str]
    allowed: frozenset[str]  # methods of path-matching routes (for 405's Allow header)


class Router(Generic[T]):
    def __init__(self) -> None:
        self._routes: list[Route[T]] = []

    def add(self, template: str, methods: Iterable[str] | None, target: T) -> Route[T]:
        ms = frozenset(m.upper() for m in methods) if methods else ALL_METHODS
        route = Route(template, ms, target, len(self._routes), parse_template(template))
        self._routes.append(route)
        return route

    @property
    def routes(self) -> list[Route[T]]:
        return list(self._routes)

    def match(self, method: str, path: str) -> Match[T]:
        """`path` is relative to the route prefix, still percent-encoded."""
        trimmed = path.strip("/")
        # %2F stays a literal slash inside a segment, as in ASP.NET Core.
        parts = [unquote(p) for p in trimmed.split("/")] if trimmed else []
        method = method.upper()
        candidates: list[tuple[Route[T], dict[str, str]]] = []
        allowed: set[str] = set()
        for route in self._routes:
            values = route.match(parts)
            if values is None:
                continue
            allowed |= route.methods
            if method in route.methods:
                candidates.append((route, values))
        if not candidates:
            return Match(None, {}, frozenset(allowed))
        best = min(candidates, key=lambda c: (c[0].precedence, c[0].order))
        return Match(best[0], best[1], frozenset(allowed))
