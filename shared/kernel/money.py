"""Money: `Decimal` in code, `{"amount": "19.99", "currency": "USD"}` on the wire. Never float.

Currencies are the active ISO 4217 codes of `shared.kernel.currencies` (no XXX/XTS test codes,
no funds codes): anything else is refused wherever Money is read, so products, prices, pricing
inputs and orders all share the one rule. Amounts are quantized to the currency's minor units
(2 by default, 0 for JPY, 3 for KWD...).
Client input with more decimals than the currency has is refused rather than silently rounded;
code computing an amount (discounts, model outputs) uses `Money.rounded`, which rounds half-even.
`Money` is never negative; `SignedMoney` is for deltas and adjustments.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Annotated, Any, ClassVar, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    JsonValue,
    WithJsonSchema,
    field_serializer,
    model_validator,
)

from shared.kernel.currencies import CURRENCY_CODES, MINOR_UNITS

_CURRENCY = re.compile(r"^[A-Z]{3}$")
_AMOUNT = re.compile(r"^-?\d{1,15}(\.\d{1,6})?$")

# The documented patterns are exactly what `_parse_amount` accepts (found by the API fuzz test:
# a looser pattern let schema-valid requests be refused with 422). Currency-specific decimal
# places are still checked by the validator only.
AmountStr = Annotated[
    Decimal,
    WithJsonSchema({"type": "string", "pattern": r"^\d{1,15}(\.\d{1,6})?$", "examples": ["19.99"]}),
]
SignedAmountStr = Annotated[
    Decimal,
    WithJsonSchema({"type": "string", "pattern": r"^-?\d{1,15}(\.\d{1,6})?$", "examples": ["-5.00"]}),
]


class MoneyError(ValueError):
    """An invalid amount or an operation across currencies / below zero."""


def minor_units(currency: str) -> int:
    return MINOR_UNITS.get(currency, 2)


def _exponent(currency: str) -> Decimal:
    return Decimal(1).scaleb(-minor_units(currency))


def _parse_amount(value: Any) -> Decimal:
    # bool is an int subclass and float is inexact: both are refused on purpose.
    if isinstance(value, bool | float):
        raise MoneyError('amount must be a decimal string such as "19.99", not a number')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MoneyError("amount must be finite")
        return value
    if isinstance(value, str):
        if not _AMOUNT.match(value.strip()):
            raise MoneyError('amount must be a decimal string such as "19.99"')
        return Decimal(value.strip())
    raise MoneyError('amount must be a decimal string such as "19.99"')


class Money(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    allow_negative: ClassVar[bool] = False

    amount: AmountStr
    # The enum documents exactly the codes the validator accepts (shared.kernel.currencies).
    currency: str = Field(
        pattern=r"^[A-Z]{3}$",
        description="ISO 4217 code of an active currency, e.g. USD (no test or funds codes)",
        json_schema_extra={"enum": list[JsonValue](sorted(CURRENCY_CODES))},
    )

    @model_validator(mode="before")
    @classmethod
    def _check(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        currency = data.get("currency")
        if not isinstance(currency, str) or not _CURRENCY.match(currency):
            raise MoneyError("currency must be an ISO 4217 code of 3 upper-case letters")
        if currency not in CURRENCY_CODES:
            raise MoneyError(f"{currency} is not the ISO 4217 code of an active currency")
        amount = _parse_amount(data.get("amount"))
        if amount < 0 and not cls.allow_negative:
            raise MoneyError("amount must not be negative")
        exponent = _exponent(currency)
        try:
            quantized = amount.quantize(exponent)
        except InvalidOperation as exc:
            raise MoneyError("amount is too large") from exc
        if quantized != amount:
            raise MoneyError(f"{currency} amounts have at most {minor_units(currency)} decimal places")
        return {**data, "amount": quantized}

    @field_serializer("amount")
    def _amount_as_string(self, amount: Decimal) -> str:
        return format(amount, "f")

    # --- construction -------------------------------------------------------------------------
    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Self:
        return cls.model_validate({"amount": amount, "currency": currency})

    @classmethod
    def zero(cls, currency: str) -> Self:
        return cls.of(0, currency)

    @classmethod
    def rounded(cls, amount: Decimal | int | str, currency: str) -> Self:
        """For computed amounts: round half-even to the currency's minor units."""
        exact = _parse_amount(amount)
        return cls.of(exact.quantize(_exponent(currency), rounding=ROUND_HALF_EVEN), currency)

    @classmethod
    def total(cls, values: Iterable[Money], currency: str) -> Self:
        result = cls.zero(currency)
        for value in values:
            result = result + value
        return result

    # --- arithmetic (same currency only) -------------------------------------------------------
    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"expected Money, got {type(other).__name__}")
        if other.currency != self.currency:
            raise MoneyError(f"currency mismatch: {self.currency} and {other.currency}")
        return other

    def __add__(self, other: Money) -> Self:
        return type(self).of(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Self:
        return type(self).of(self.amount - self._same(other).amount, self.currency)

    def __mul__(self, factor: int) -> Self:
        if isinstance(factor, bool) or not isinstance(factor, int):
            raise TypeError("Money can only be multiplied by an int (use Money.rounded for rates)")
        return type(self).of(self.amount * factor, self.currency)

    __rmul__ = __mul__

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{format(self.amount, 'f')} {self.currency}"


class SignedMoney(Money):
    """Money that may be negative (adjustments, differences)."""

    allow_negative: ClassVar[bool] = True
    amount: SignedAmountStr
