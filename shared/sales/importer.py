"""Parse an admin import of historical sales: CSV (`sku,date,units,price,promo`, header optional)
or JSON lines (`{"sku", "date", "units", "price", "promo"?}`). All or nothing: every bad row is
reported (up to MAX_ERRORS) and nothing is stored when any row is bad.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from shared.kernel.errors import BadRequest, ValidationFailed
from shared.sales.ports import SaleEntry

MAX_ROWS = 200_000
MAX_ERRORS = 50
MAX_PRICE = 1_000_000_000.0
COLUMNS = ("sku", "date", "units", "price", "promo")
_SKU = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


def _records(text: str) -> list[tuple[int, dict[str, Any]]]:
    """(line number, raw record) for each non-empty line, JSON lines or CSV by the first character."""
    lines = [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise ValidationFailed.field("body", "no rows", code="empty_import")
    if len(lines) > MAX_ROWS + 1:
        raise ValidationFailed.field("body", f"at most {MAX_ROWS} rows per import", code="import_too_large")
    if lines[0][1].lstrip().startswith("{"):
        out = []
        for n, line in lines:
            try:
                value = json.loads(line)
            except ValueError:
                value = None
            out.append((n, value if isinstance(value, dict) else {"_error": "not a JSON object"}))
        return out
    reader = csv.reader(io.StringIO("\n".join(line for _, line in lines)))
    rows = list(reader)
    numbers = [n for n, _ in lines]
    if rows and [c.strip().lower() for c in rows[0]][:2] == ["sku", "date"]:
        header = [c.strip().lower() for c in rows[0]]
        rows, numbers = rows[1:], numbers[1:]
    else:
        header = list(COLUMNS)
    return [
        (n, dict(zip(header, (c.strip() for c in row), strict=False)))
        for n, row in zip(numbers, rows, strict=True)
    ]


def _number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    number = float(value)
    if not math.isfinite(number):
        raise ValueError
    return number


def _promo(value: Any) -> float:
    if value in (None, ""):
        return 0.0
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, str) and value.lower() in ("true", "false", "yes", "no"):
        return 1.0 if value.lower() in ("true", "yes") else 0.0
    share = _number(value)
    if not 0 <= share <= 1:
        raise ValueError
    return share


def _row(
    raw: dict[str, Any], known_sku: Callable[[str], bool], today: date
) -> tuple[SaleEntry | None, list[tuple[str, str]]]:
    if "_error" in raw:
        return None, [("", str(raw["_error"]))]
    errors: list[tuple[str, str]] = []
    sku = str(raw.get("sku") or "")
    if not _SKU.match(sku):
        errors.append(("sku", "a sku is 1-64 letters, digits, '.', '_' or '-'"))
    elif not known_sku(sku):
        errors.append(("sku", f"unknown sku {sku}"))
    day: date | None = None
    try:
        day = date.fromisoformat(str(raw.get("date") or ""))
        if day > today:
            errors.append(("date", "is in the future"))
    except ValueError:
        errors.append(("date", "must be a date like 2025-03-31"))
    units = 0
    try:
        u = _number(raw.get("units"))
        if u != int(u) or u < 0 or u > 10_000_000:
            raise ValueError
        units = int(u)
    except (TypeError, ValueError):
        errors.append(("units", "must be a whole number >= 0"))
    price = 0.0
    try:
        price = _number(raw.get("price"))
        if not 0 < price <= MAX_PRICE:
            raise ValueError
    except (TypeError, ValueError):
        errors.append(("price", "must be a positive number (the realized unit price)"))
    promo = 0.0
    try:
        promo = _promo(raw.get("promo"))
    except (TypeError, ValueError):
        errors.append(("promo", "must be 0/1, true/false or a share between 0 and 1"))
    if errors or day is None:
        return None, errors
    return SaleEntry(sku, day, units, round(units * price, 6), promo, price), []


def parse_import(
    body: bytes, known_sku: Callable[[str], bool], *, today: date | None = None
) -> list[SaleEntry]:
    """The import's rows; `ValidationFailed` listing the bad rows (`rows[i].field`, i from 0)."""
    try:
        text = body.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise BadRequest("the body is not UTF-8 text") from None
    today = today or datetime.now(UTC).date()
    entries: list[SaleEntry] = []
    errors: list[dict[str, str]] = []
    seen: dict[tuple[str, date], int] = {}
    cache: dict[str, bool] = {}

    def known(sku: str) -> bool:
        if sku not in cache:
            cache[sku] = known_sku(sku)
        return cache[sku]

    for index, (line, raw) in enumerate(_records(text)):
        entry, bad = _row(raw, known, today)
        if entry is not None:
            key = (entry.sku, entry.day)
            if key in seen:
                bad = [("date", f"repeats the sku and date of rows[{seen[key]}]")]
            seen.setdefault(key, index)
        for field, message in bad:
            if len(errors) < MAX_ERRORS:
                name = f"rows[{index}].{field}" if field else f"rows[{index}]"
                errors.append({"field": name, "message": f"line {line}: {message}"})
        if entry is not None and not bad:
            entries.append(entry)
    if errors:
        bad_rows = len({e["field"].split("]")[0] for e in errors})
        raise ValidationFailed(
            f"{bad_rows} row(s) are invalid (first {len(errors)} problems listed); nothing was imported",
            errors=errors,
            code="invalid_sales_rows",
        )
    return entries
