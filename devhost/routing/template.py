"""Parse ASP.NET Core route templates, the syntax Azure Functions HTTP routes use.

Supported: literal segments (case-insensitive), `{name}`, constraints `{id:int}` (several allowed:
`{x:int:min(1)}`), optional `{x?}`, defaults `{x=abc}`, catch-all `{*rest}` / `{**rest}`, complex
segments such as `{name}.{ext}`, and `{{` / `}}` as literal braces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from devhost.routing.constraints import Constraint, parse_constraint


class RouteTemplateError(ValueError):
    """The template cannot be parsed (the real host would refuse to index the function)."""


@dataclass(frozen=True)
class Param:
    name: str
    constraints: tuple[Constraint, ...] = ()
    optional: bool = False
    default: str | None = None
    catch_all: bool = False

    def accepts(self, value: str) -> bool:
        return all(c.accepts(value) for c in self.constraints)


@dataclass(frozen=True)
class Segment:
    """One path segment: a sequence of literal strings and parameters."""

    parts: tuple[str | Param, ...]
    regex: re.Pattern[str] | None = field(default=None, compare=False)

    @property
    def literal(self) -> str | None:
        return self.parts[0] if len(self.parts) == 1 and isinstance(self.parts[0], str) else None

    @property
    def param(self) -> Param | None:
        return self.parts[0] if len(self.parts) == 1 and isinstance(self.parts[0], Param) else None

    @property
    def rank(self) -> int:
        """ASP.NET inbound precedence digit: lower is more specific."""
        if self.literal is not None:
            return 1
        p = self.param
        if p is None:
            return 2  # complex segment such as {name}.{ext}
        if p.catch_all:
            return 5
        return 3 if p.constraints else 4


def _read_param(text: str, start: int) -> tuple[str, int]:
    """Return the inside of the `{...}` opened at `start` and the index after its closing brace."""
    out: list[str] = []
    i = start + 1
    depth = 0  # parentheses of constraint arguments may hold braces, e.g. regex(^\d{{3}}$)
    while i < len(text):
        ch = text[i]
        if ch == "}" and text.startswith("}}", i):
            out.append("}")
            i += 2
            continue
        if ch == "{" and text.startswith("{{", i):
            out.append("{")
            i += 2
            continue
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif ch == "}" and depth == 0:
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise RouteTemplateError(f"unclosed '{{' in route segment {text!r}")


def _split_constraints(spec: str) -> list[str]:
    """Split `int:min(1):regex(a:b)` on the colons that are outside parentheses."""
    items: list[str] = []
    depth, current = 0, list[str]()
    for ch in spec:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == ":" and depth == 0:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return [i for i in items if i]


_NAME = re.compile(r"^(\*{1,2})?([A-Za-z_][A-Za-z0-9_]*)")


def _parse_param(inner: str) -> Param:
    m = _NAME.match(inner)
    if not m:
        raise RouteTemplateError(f"bad route parameter {{{inner}}}")
    catch_all, name = bool(m.group(1)), m.group(2)
    rest = inner[m.end() :]
    optional, default = False, None
    # `?` and `=default` come after the constraints (a regex's own `?` sits inside parentheses).
    if rest.endswith("?"):
        optional, rest = True, rest[:-1]
    eq = _top_level_index(rest, "=")
    if eq >= 0:
        default, rest = rest[eq + 1 :], rest[:eq]
    if rest and not rest.startswith(":"):
        raise RouteTemplateError(f"bad route parameter {{{inner}}}")
    constraints = tuple(parse_constraint(c) for c in _split_constraints(rest[1:])) if rest else ()
    return Param(name, constraints, optional or default is not None, default, catch_all)


def _top_level_index(text: str, ch: str) -> int:
    depth = 0
    for i, c in enumerate(text):
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
        elif c == ch and depth == 0:
            return i
    return -1


def parse_segment(text: str) -> Segment:
    parts: list[str | Param] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("{{", i) or text.startswith("}}", i):
            literal.append(text[i])
            i += 2
        elif text[i] == "{":
            if literal:
                parts.append("".join(literal))
                literal = []
            inner, i = _read_param(text, i)
            parts.append(_parse_param(inner))
        else:
            literal.append(text[i])
            i += 1
    if literal:
        parts.append("".join(literal))
    if not parts:
        raise RouteTemplateError("empty route segment")
    regex = None
    if len(parts) > 1:
        pattern = "".join(f"(?P<{p.name}>.+?)" if isinstance(p, Param) else re.escape(p) for p in parts)
        regex = re.compile(f"^{pattern}$", re.IGNORECASE)
    return Segment(tuple(parts), regex)


def parse_template(template: str) -> tuple[Segment, ...]:
    """Parse a route template (without the route prefix) into segments."""
    text = template.strip().strip("/")
    if not text:
        return ()
    segments = tuple(parse_segment(s) for s in text.split("/"))
    for i, seg in enumerate(segments):
        p = seg.param
        if p is not None and p.catch_all and i != len(segments) - 1:
            raise RouteTemplateError(f"catch-all must be the last segment in {template!r}")
    return segments
