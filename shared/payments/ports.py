"""The payment provider port: what the payments context asks of a card processor.

Every operation carries an idempotency key: a provider that sees the same key twice returns the
first result and does nothing again, which is what lets the order workflow retry or replay a step
without charging twice. Declines are final (`PaymentDeclined`); `TransientProviderError` means
"nothing happened, try again" and is what routing retries and falls back on.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Literal

from shared.kernel.money import Money
from shared.payments.cards import CardDetails

RiskSignal = Literal["normal", "elevated", "highest", "blocked"]


class ProviderError(Exception):
    """Base of the provider's typed failures."""


class PaymentDeclined(ProviderError):
    """The issuer or provider refused: final for this card. `code` e.g. `card_declined`."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class TransientProviderError(ProviderError):
    """A processing error or timeout: nothing was done, the same request may be retried."""


class ProviderUnavailable(ProviderError):
    """Every provider failed transiently after its retries."""


class InvalidProviderRequest(ProviderError):
    """A request the provider refuses for what it is (capture above the authorization, unknown id)."""


@dataclass(frozen=True)
class AuthorizeRequest:
    order_id: str
    amount: Money
    card: CardDetails
    idempotency_key: str


@dataclass(frozen=True)
class Authorization:
    provider: str
    authorization_id: str
    risk_signal: RiskSignal = "normal"


class PaymentProvider(ABC):
    name: str

    @abstractmethod
    def authorize(self, request: AuthorizeRequest) -> Authorization:
        """Hold `amount` on the card; `PaymentDeclined` or `TransientProviderError` otherwise."""

    def has_authorization(self, request: AuthorizeRequest) -> bool:
        """Whether this provider already took an authorize with the request's idempotency key.
        Routing asks before choosing a provider: a retry after a crash must go back to the one
        that holds the money, not put a second hold on the card elsewhere. A provider that
        cannot tell answers False (the default)."""
        return False

    @abstractmethod
    def capture(self, *, order_id: str, authorization_id: str, amount: Money, idempotency_key: str) -> str:
        """Take (part of) the held amount; returns the capture reference."""

    @abstractmethod
    def void(self, *, order_id: str, authorization_id: str, idempotency_key: str) -> str:
        """Drop an uncaptured authorization."""

    @abstractmethod
    def refund(self, *, order_id: str, authorization_id: str, amount: Money, idempotency_key: str) -> str:
        """Give back (part of) a captured amount."""
