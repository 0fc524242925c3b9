"""ASP.NET Core route constraints (the ones Azure Functions routes can use).

A constraint only decides whether a segment matches; values reach the function as strings, as in
the real host.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal, InvalidOperation

_INT32 = (-(2**31), 2**31 - 1)
_INT64 = (-(2**63), 2**63 - 1)
_INTEGER = re.compile(r"^-?\d+$")


def _int_in(value: str, bounds: tuple[int, int]) -> bool:
    return bool(_INTEGER.match(value)) and bounds[0] <= int(value) <= bounds[1]


def _is_decimal(value: str) -> bool:
    try:
        Decimal(value)
    except InvalidOperation:
        return False
    return value.strip() == value and value.lower() not in {"nan", "inf", "-inf", "infinity"}


def _is_guid(value: str) -> bool:
    try:
        uuid.UUID(value)
    except ValueError:
        return False
    return True


def _is_datetime(value: str) -> bool:
    try:
        datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _to_int(arg: str) -> int:
    return int(arg.strip())


@dataclass(frozen=True)
class Constraint:
    name: str
    args: tuple[str, ...]
    check: Callable[[str], bool]

    def accepts(self, value: str) -> bool:
        return self.check(value)


def _simple(name: str) -> Callable[[str], bool]:
    table: dict[str, Callable[[str], bool]] = {
        "int": lambda v: _int_in(v, _INT32),
        "long": lambda v: _int_in(v, _INT64),
        "bool": lambda v: v.lower() in {"true", "false"},
        "alpha": lambda v: bool(re.fullmatch(r"[A-Za-z]+", v)),
        "guid": _is_guid,
        "decimal": _is_decimal,
        "double": _is_decimal,
        "float": _is_decimal,
        "datetime": _is_datetime,
        "nonfile": lambda v: "." not in v.rsplit("/", 1)[-1],
    }
    if name not in table:
        raise ValueError(f"unknown route constraint {name!r}")
    return table[name]


def _with_args(name: str, args: tuple[str, ...]) -> Callable[[str], bool]:
    if name == "regex":
        # ASP.NET uses IsMatch (not anchored: templates write ^...$ themselves), case-insensitive.
        pattern = re.compile(args[0], re.IGNORECASE)
        return lambda v: pattern.search(v) is not None
    nums = tuple(_to_int(a) for a in args)
    if name == "length":
        lo, hi = (nums[0], nums[0]) if len(nums) == 1 else (nums[0], nums[1])
        return lambda v: lo <= len(v) <= hi
    if name == "minlength":
        return lambda v: len(v) >= nums[0]
    if name == "maxlength":
        return lambda v: len(v) <= nums[0]
    if name == "min":
        return lambda v: _int_in(v, _INT64) and int(v) >= nums[0]
    if name == "max":
        return lambda v: _int_in(v, _INT64) and int(v) <= nums[0]
    if name == "range":
        return lambda v: _int_in(v, _INT64) and nums[0] <= int(v) <= nums[1]
    raise ValueError(f"unknown route constraint {name!r}")


_CALL = re.compile(r"^([A-Za-z]+)\((.*)\)$", re.DOTALL)


def parse_constraint(text: str) -> Constraint:
    """`int`, `length(3,10)`, `regex(^[a-z]+$)` -> Constraint (ValueError if unknown)."""
    m = _CALL.match(text)
    if m is None:
        name = text.strip().lower()
        return Constraint(name, (), _simple(name))
    name, raw = m.group(1).lower(), m.group(2)
    # Only regex keeps its argument whole (it may contain commas).
    args = (raw,) if name == "regex" else tuple(a.strip() for a in raw.split(","))
    return Constraint(name, args, _with_args(name, args))
