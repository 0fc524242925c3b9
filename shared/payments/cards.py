"""Card numbers: normalization, Luhn, brand and expiry checks. No I/O, nothing logged.

A `CardDetails` only ever lives in memory (between the vault and a provider call); its repr masks
the number so a stray `log.debug(card)` or a traceback's locals cannot leak it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass, field
from datetime import date

from shared.kernel.errors import ValidationFailed

_DIGITS = re.compile(r"^\d{12,19}$")
_SEPARATORS = re.compile(r"[ -]")


def normalize_number(raw: str) -> str:
    """Digits only (customers type spaces and dashes); 422 if anything else remains."""
    number = _SEPARATORS.sub("", raw)
    if not _DIGITS.match(number):
        raise ValidationFailed.field("cardNumber", "must be 12 to 19 digits", code="invalid_card")
    return number


def luhn_valid(number: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(number)):
        digit = int(char)
        if index % 2 == 1:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def brand_of(number: str) -> str:
    if number.startswith("4"):
        return "visa"
    if number[:2] in {"51", "52", "53", "54", "55"} or 2221 <= int(number[:4]) <= 2720:
        return "mastercard"
    if number[:2] in {"34", "37"}:
        return "amex"
    if number.startswith("6011") or number.startswith("65"):
        return "discover"
    return "unknown"


def check_expiry(exp_month: int, exp_year: int, today: date) -> None:
    """A card is valid through the last day of its expiry month."""
    if not 1 <= exp_month <= 12:
        raise ValidationFailed.field("expMonth", "must be 1 to 12", code="invalid_card")
    if (exp_year, exp_month) < (today.year, today.month):
        raise ValidationFailed.field("expYear", "the card has expired", code="card_expired")


def check_cvc(cvc: str, brand: str) -> None:
    expected = 4 if brand == "amex" else 3
    if not (cvc.isdigit() and len(cvc) == expected):
        raise ValidationFailed.field("cvc", f"must be {expected} digits", code="invalid_card")


def validate_card(number_raw: str, exp_month: int, exp_year: int, cvc: str, today: date) -> str:
    """The normalized number of a usable card; 422 (never echoing the number) otherwise."""
    number = normalize_number(number_raw)
    if not luhn_valid(number):
        raise ValidationFailed.field("cardNumber", "is not a valid card number", code="invalid_card")
    check_expiry(exp_month, exp_year, today)
    check_cvc(cvc, brand_of(number))
    return number


def card_fingerprint(number: str, key: bytes) -> str:
    """A stable, non-reversible id of a card number: HMAC-SHA256 under a secret key (hex).

    Equal for the same card on any token, so the fraud check can count a customer's distinct cards.
    Keyed on purpose: card numbers are few enough (a known BIN, Luhn, 6-9 free digits) that a plain
    hash is brute-forced in minutes, while without the key an HMAC tells nothing about the number.
    """
    return hmac.new(key, normalize_number(number).encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class CardDetails:
    """A detokenized card, for a provider call only. Never stored, logged or put in an event."""

    number: str = field(repr=False)
    exp_month: int
    exp_year: int
    holder_name: str = field(default="", repr=False)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    def __repr__(self) -> str:
        return f"CardDetails(****{self.last4}, {self.exp_month:02d}/{self.exp_year})"

    __str__ = __repr__
