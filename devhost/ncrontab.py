"""NCRONTAB schedules as Azure Functions timer triggers use them.

Six fields, seconds first: `{second} {minute} {hour} {day} {month} {day-of-week}` with `*`, lists
(`1,5`), ranges (`1-5`), steps (`*/5`, `10-40/10`) and names (`Jan`, `Mon`); day-of-week 0 or 7 is
Sunday. A five-field expression (no seconds) is accepted as seconds = 0. The TimeSpan form
`hh:mm:ss` (or `d.hh:mm:ss`) means "every interval". Unlike Vixie cron, and like the NCrontab
library the Functions host uses, day-of-month and day-of-week must both match
(`0 0 0 13 * Fri` is Friday the 13th).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

_MONTHS = {
    n: i
    for i, n in enumerate(
        ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], start=1
    )
}
_DAYS = {n: i for i, n in enumerate(["sun", "mon", "tue", "wed", "thu", "fri", "sat"])}

# (low, high, names) per field, seconds first
_FIELDS: list[tuple[int, int, dict[str, int]]] = [
    (0, 59, {}),
    (0, 59, {}),
    (0, 23, {}),
    (1, 31, {}),
    (1, 12, _MONTHS),
    (0, 7, _DAYS),
]
_TIMESPAN = re.compile(r"^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})$")
_SEARCH_LIMIT = timedelta(days=366 * 5)


class ScheduleError(ValueError):
    pass


def _value(text: str, low: int, high: int, names: dict[str, int]) -> int:
    key = text.lower()
    if key in names:
        return names[key]
    if not text.isdigit():
        raise ScheduleError(f"bad value {text!r}")
    v = int(text)
    if not low <= v <= high:
        raise ScheduleError(f"value {v} out of range {low}-{high}")
    return v


def _parse_field(text: str, low: int, high: int, names: dict[str, int]) -> frozenset[int]:
    out: set[int] = set()
    for item in text.split(","):
        base, _, step_text = item.partition("/")
        step = int(step_text) if step_text else 1
        if step_text and (not step_text.isdigit() or step < 1):
            raise ScheduleError(f"bad step in {item!r}")
        if base in {"*", "?"}:
            start, end = low, high
        elif "-" in base:
            a, b = base.split("-", 1)
            start, end = _value(a, low, high, names), _value(b, low, high, names)
            if start > end:
                raise ScheduleError(f"bad range {base!r}")
        else:
            start = _value(base, low, high, names)
            end = high if step_text else start
        out.update(range(start, end + 1, step))
    return frozenset(out)


@dataclass(frozen=True)
class Schedule:
    expression: str
    seconds: frozenset[int] = frozenset()
    minutes: frozenset[int] = frozenset()
    hours: frozenset[int] = frozenset()
    days: frozenset[int] = frozenset()
    months: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()
    interval: timedelta | None = None  # TimeSpan form

    def _day_ok(self, t: datetime) -> bool:
        return t.day in self.days and (t.isoweekday() % 7) in self.weekdays

    def next_after(self, after: datetime) -> datetime:
        """The first occurrence strictly after `after` (same tzinfo as `after`)."""
        if self.interval is not None:
            return after + self.interval
        t = after.replace(microsecond=0) + timedelta(seconds=1)
        limit = after + _SEARCH_LIMIT
        while t <= limit:
            if t.month not in self.months:
                t = (t.replace(day=1, hour=0, minute=0, second=0) + timedelta(days=32)).replace(day=1)
                continue
            if not self._day_ok(t):
                t = t.replace(hour=0, minute=0, second=0) + timedelta(days=1)
                continue
            if t.hour not in self.hours:
                t = t.replace(minute=0, second=0) + timedelta(hours=1)
                continue
            if t.minute not in self.minutes:
                t = t.replace(second=0) + timedelta(minutes=1)
                continue
            if t.second not in self.seconds:
                t += timedelta(seconds=1)
                continue
            return t
        raise ScheduleError(f"{self.expression!r} never occurs")


def parse(expression: str) -> Schedule:
    text = expression.strip()
    m = _TIMESPAN.match(text)
    if m:
        days, h, mi, s = (int(g) if g else 0 for g in m.groups())
        if h > 23 or mi > 59 or s > 59:
            raise ScheduleError(f"bad TimeSpan {expression!r}")
        interval = timedelta(days=days, hours=h, minutes=mi, seconds=s)
        if interval <= timedelta(0):
            raise ScheduleError("a TimeSpan schedule must be positive")
        return Schedule(text, interval=interval)
    parts = text.split()
    if len(parts) == 5:
        parts = ["0", *parts]
    if len(parts) != 6:
        raise ScheduleError(f"{expression!r}: expected 6 fields (seconds first) or hh:mm:ss")
    fields = [_parse_field(p, *spec) for p, spec in zip(parts, _FIELDS, strict=True)]
    weekdays = frozenset(d % 7 for d in fields[5])
    return Schedule(text, fields[0], fields[1], fields[2], fields[3], fields[4], weekdays)
