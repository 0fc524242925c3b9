"""ISO 4217 codes Money accepts (shared.kernel.currencies) and the control-character rule (text)."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from shared.kernel.currencies import CURRENCY_CODES, MINOR_UNITS
from shared.kernel.money import Money, minor_units
from shared.kernel.text import NO_CONTROL_PATTERN, control_character_fields

NOT_CURRENCIES = [
    "XXX",
    "XTS",
    "BOV",
    "CHE",
    "CHW",
    "CLF",
    "COU",
    "MXV",
    "USN",
    "UYI",
    "UYW",
    "XAU",
    "XDR",
    "HRK",
]


@pytest.mark.parametrize("code", [*NOT_CURRENCIES, "ABC", "usd"])
def test_test_funds_metal_withdrawn_and_made_up_codes_are_refused(code: str) -> None:
    assert code not in CURRENCY_CODES
    with pytest.raises(ValidationError):
        Money.of("1.00", code)


def test_real_currencies_with_their_minor_units() -> None:
    assert {"USD", "EUR", "JPY", "GBP", "CHF", "XOF", "XAF", "XCD", "XPF", "ZWG", "XCG"} <= CURRENCY_CODES
    assert 150 <= len(CURRENCY_CODES) <= 170
    assert set(MINOR_UNITS) <= CURRENCY_CODES
    assert (minor_units("JPY"), minor_units("XPF"), minor_units("KWD"), minor_units("EUR")) == (0, 0, 3, 2)
    assert str(Money.of("1500", "BIF")) == "1500 BIF"


def test_control_characters_are_found_by_path_and_the_schema_pattern_agrees() -> None:
    data = {"name": "ok\ttab\nnewline", "items": [{"note": "a\x00b"}], "k\x1f": 1, "x": "\u0085"}
    assert control_character_fields(data) == ["", "items[0].note", "x"]
    pattern = re.compile(NO_CONTROL_PATTERN)
    assert pattern.match("line 1\r\nline 2\tend é 中")
    assert not any(
        pattern.match(f"a{chr(c)}") for c in [*range(0, 9), 11, 12, *range(14, 32), *range(127, 160)]
    )
