"""NCRONTAB parsing and next-occurrence computation (seconds first, as Azure Functions uses)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from devhost.ncrontab import ScheduleError, parse

T0 = datetime(2026, 11, 25, 18, 0, 3)  # a Wednesday


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("*/5 * * * * *", datetime(2026, 11, 25, 18, 0, 5)),
        ("0 * * * * *", datetime(2026, 11, 25, 18, 1, 0)),
        ("0 */5 * * * *", datetime(2026, 11, 25, 18, 5, 0)),
        ("0 30 9 * * Mon-Fri", datetime(2026, 11, 26, 9, 30, 0)),
        ("0 30 9 * * 1-5", datetime(2026, 11, 26, 9, 30, 0)),
        ("0 0 0 * * Sun", datetime(2026, 11, 29, 0, 0, 0)),
        ("0 0 0 * * 7", datetime(2026, 11, 29, 0, 0, 0)),  # 7 is Sunday too
        ("0 0 12 1 Jan *", datetime(2027, 1, 1, 12, 0, 0)),
        ("0 0 0 13 * Fri", datetime(2027, 8, 13, 0, 0, 0)),  # both day fields must match
        ("0 0 0 29 Feb *", datetime(2028, 2, 29, 0, 0, 0)),
        ("10,20,40 * * * * *", datetime(2026, 11, 25, 18, 0, 10)),
        ("10-40/10 * * * * *", datetime(2026, 11, 25, 18, 0, 10)),
        ("5/20 * * * * *", datetime(2026, 11, 25, 18, 0, 5)),
        ("0 0 */2 * * *", datetime(2026, 11, 25, 20, 0, 0)),
        ("0 0 9 * Dec Mon", datetime(2026, 12, 7, 9, 0, 0)),
        ("0 15 10 * * *", datetime(2026, 11, 26, 10, 15, 0)),
        ("* * * * *", datetime(2026, 11, 25, 18, 1, 0)),  # five fields: seconds = 0
    ],
)
def test_next_occurrence(expression: str, expected: datetime) -> None:
    assert parse(expression).next_after(T0) == expected


def test_next_is_strictly_after_and_steps_through_a_sequence() -> None:
    s = parse("*/20 * * * * *")
    t = datetime(2026, 1, 1, 0, 0, 0)
    seen = []
    for _ in range(4):
        t = s.next_after(t)
        seen.append(t.second)
    assert seen == [20, 40, 0, 20]


def test_month_and_year_rollover() -> None:
    assert parse("0 0 0 1 * *").next_after(datetime(2026, 12, 31, 23, 59, 59)) == datetime(2027, 1, 1)
    assert parse("0 0 0 31 * *").next_after(datetime(2026, 4, 1)) == datetime(2026, 5, 31)


@pytest.mark.parametrize(
    ("expression", "interval"),
    [
        ("00:00:10", timedelta(seconds=10)),
        ("01:30:00", timedelta(hours=1, minutes=30)),
        ("1.00:00:00", timedelta(days=1)),
    ],
)
def test_timespan_form(expression: str, interval: timedelta) -> None:
    assert parse(expression).next_after(T0) == T0 + interval


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "* * * *",
        "60 * * * * *",
        "* * 24 * * *",
        "* * * 0 * *",
        "* * * * 13 *",
        "*/0 * * * * *",
        "5-1 * * * * *",
        "* * * * Foo *",
        "00:00:00",
        "25:00:00",
        "1 2 3 4 5 6 7",
    ],
)
def test_invalid_expressions_are_refused(bad: str) -> None:
    with pytest.raises(ScheduleError):
        parse(bad)


def test_never_occurring_schedule_fails_loudly() -> None:
    with pytest.raises(ScheduleError):
        parse("0 0 0 31 Feb *").next_after(T0)
