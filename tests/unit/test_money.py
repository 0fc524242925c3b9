"""Money: decimal strings on the wire, minor units, no floats, same-currency arithmetic."""

from __future__ import annotations

import json
from decimal import Decimal

import jsonschema_rs
import pytest
from pydantic import ValidationError

from shared.kernel.money import Money, MoneyError, SignedMoney, minor_units
from shared.kernel.schema import ApiModel


class Priced(ApiModel):
    price: Money


def test_wire_format_is_a_decimal_string() -> None:
    price = Money.of("19.9", "USD")
    assert price.amount == Decimal("19.90")
    assert json.loads(price.model_dump_json()) == {"amount": "19.90", "currency": "USD"}
    assert Priced(price=price).model_dump(mode="json", by_alias=True) == {
        "price": {"amount": "19.90", "currency": "USD"}
    }


def test_parsed_from_json() -> None:
    assert Priced.model_validate_json('{"price": {"amount": "5", "currency": "EUR"}}').price == Money.of(
        5, "EUR"
    )


@pytest.mark.parametrize(
    "amount", [19.99, 1.0, True, float("nan"), "NaN", "Infinity", "1e3", "", " ", None, [1]]
)
def test_floats_and_non_decimals_are_refused(amount: object) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate({"amount": amount, "currency": "USD"})


def test_non_finite_decimals_are_refused() -> None:
    for value in (Decimal("NaN"), Decimal("Infinity"), Decimal("-Infinity")):
        with pytest.raises(ValidationError):
            Money.model_validate({"amount": value, "currency": "USD"})


@pytest.mark.parametrize("currency", ["usd", "US", "USDX", "", None, "U$D"])
def test_currency_must_be_three_upper_case_letters(currency: object) -> None:
    with pytest.raises(ValidationError):
        Money.model_validate({"amount": "1.00", "currency": currency})


def test_minor_units_per_currency() -> None:
    assert (minor_units("USD"), minor_units("JPY"), minor_units("KWD")) == (2, 0, 3)
    assert Money.of("100", "JPY").model_dump(mode="json")["amount"] == "100"
    assert Money.of("1.5", "KWD").model_dump(mode="json")["amount"] == "1.500"
    for amount, currency in (("100.5", "JPY"), ("19.999", "USD"), ("1.0001", "KWD")):
        with pytest.raises(ValidationError, match="decimal places"):
            Money.of(amount, currency)


def test_negative_amounts_only_where_allowed() -> None:
    with pytest.raises(ValidationError, match="negative"):
        Money.of("-1.00", "USD")
    assert SignedMoney.of("-1.5", "USD").model_dump(mode="json") == {"amount": "-1.50", "currency": "USD"}


def test_arithmetic_and_comparison() -> None:
    a, b = Money.of("10.00", "USD"), Money.of("2.50", "USD")
    assert a + b == Money.of("12.50", "USD")
    assert a - b == Money.of("7.50", "USD")
    assert b * 3 == Money.of("7.50", "USD") == 3 * b
    assert b < a and a > b and a >= a and b <= b
    assert Money.total([a, b, b], "USD") == Money.of("15.00", "USD")
    assert Money.zero("USD").is_zero() and not a.is_zero()
    assert str(b) == "2.50 USD"
    with pytest.raises(ValidationError):
        b - a  # would go below zero


def test_mixing_currencies_is_refused() -> None:
    usd, eur = Money.of(1, "USD"), Money.of(1, "EUR")
    with pytest.raises(MoneyError):
        usd + eur
    with pytest.raises(MoneyError):
        _ = usd < eur


def test_only_int_multipliers() -> None:
    price = Money.of("1.00", "USD")
    for factor in (1.5, Decimal("2"), True):
        with pytest.raises(TypeError):
            price * factor  # type: ignore[operator]


def test_rounded_is_half_even_to_minor_units() -> None:
    assert Money.rounded(Decimal("2.345"), "USD").amount == Decimal("2.34")
    assert Money.rounded(Decimal("2.355"), "USD").amount == Decimal("2.36")
    assert Money.rounded(Decimal("99.5"), "JPY").amount == Decimal("100")


def test_json_schema_says_amount_is_a_string() -> None:
    schema = Money.model_json_schema()
    assert schema["properties"]["amount"]["type"] == "string"
    assert schema["required"] == ["amount", "currency"]


@pytest.mark.parametrize(
    ("model", "amount", "documented", "accepted"),
    [
        (Money, "12.5", True, True),
        (Money, "-1", False, False),  # was documented as valid, then refused with 422
        (Money, "1.1234567", False, False),
        (Money, "1234567890123456", False, False),
        (SignedMoney, "-3.5", True, True),
    ],
)
def test_documented_amount_pattern_is_what_the_validator_accepts(
    model: type[Money], amount: str, documented: bool, accepted: bool
) -> None:
    # Found by tests/e2e/test_api_fuzz.py: schema-valid negative amounts were refused with 422.
    validator = jsonschema_rs.validator_for(model.model_json_schema())
    assert validator.is_valid({"amount": amount, "currency": "USD"}) is documented
    try:
        model.model_validate({"amount": amount, "currency": "USD"})
    except ValidationError:
        assert not accepted
    else:
        assert accepted
