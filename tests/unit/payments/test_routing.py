"""Routing with in-memory providers that subclass the port (scripted answers, no I/O)."""

from __future__ import annotations

import pytest

from shared.kernel.money import Money
from shared.payments.cards import CardDetails
from shared.payments.ports import (
    Authorization,
    AuthorizeRequest,
    PaymentDeclined,
    PaymentProvider,
    ProviderUnavailable,
    TransientProviderError,
)
from shared.payments.routing import PaymentRouter

REQUEST = AuthorizeRequest(
    order_id="o1",
    amount=Money.of("10.00", "USD"),
    card=CardDetails(number="4242424242424242", exp_month=1, exp_year=2030),
    idempotency_key="o1:authorize",
)


class Scripted(PaymentProvider):
    def __init__(self, name: str, script: list[Exception | None]) -> None:
        self.name = name
        self.script = list(script)
        self.calls: list[str] = []

    def _next(self, op: str) -> str:
        self.calls.append(op)
        outcome = self.script.pop(0) if self.script else None
        if outcome is not None:
            raise outcome
        return f"{self.name}-{op}"

    def authorize(self, request: AuthorizeRequest) -> Authorization:
        return Authorization(provider=self.name, authorization_id=self._next("authorize"))

    def capture(self, *, order_id: str, authorization_id: str, amount: Money, idempotency_key: str) -> str:
        return self._next("capture")

    def void(self, *, order_id: str, authorization_id: str, idempotency_key: str) -> str:
        return self._next("void")

    def refund(self, *, order_id: str, authorization_id: str, amount: Money, idempotency_key: str) -> str:
        return self._next("refund")


def router(*providers: PaymentProvider, attempts: int = 3) -> tuple[PaymentRouter, list[float]]:
    sleeps: list[float] = []
    return PaymentRouter(providers, attempts=attempts, backoff_seconds=0.1, sleep=sleeps.append), sleeps


def test_transient_error_is_retried_with_exponential_backoff() -> None:
    primary = Scripted("a", [TransientProviderError(), TransientProviderError(), None])
    r, sleeps = router(primary)
    assert r.authorize(REQUEST).provider == "a"
    assert primary.calls == ["authorize"] * 3
    assert sleeps == [0.1, 0.2]


def test_persistent_transient_error_falls_back_to_the_next_provider() -> None:
    primary = Scripted("a", [TransientProviderError()] * 3)
    fallback = Scripted("b", [])
    r, _ = router(primary, fallback)
    assert r.authorize(REQUEST).provider == "b"
    assert len(primary.calls) == 3 and fallback.calls == ["authorize"]


def test_declines_are_neither_retried_nor_routed() -> None:
    primary = Scripted("a", [PaymentDeclined("card_declined")])
    fallback = Scripted("b", [])
    r, sleeps = router(primary, fallback)
    with pytest.raises(PaymentDeclined):
        r.authorize(REQUEST)
    assert primary.calls == ["authorize"] and fallback.calls == [] and sleeps == []


def test_every_provider_down_is_provider_unavailable() -> None:
    r, _ = router(
        Scripted("a", [TransientProviderError()] * 2),
        Scripted("b", [TransientProviderError()] * 2),
        attempts=2,
    )
    with pytest.raises(ProviderUnavailable):
        r.authorize(REQUEST)


def test_capture_stays_with_the_authorizing_provider() -> None:
    primary = Scripted("a", [])
    fallback = Scripted("b", [TransientProviderError(), None])
    r, _ = router(primary, fallback)
    ref = r.capture("b", order_id="o1", authorization_id="x", amount=REQUEST.amount, key="o1:capture")
    assert ref == "b-capture" and primary.calls == [] and fallback.calls == ["capture", "capture"]


def test_capture_gives_up_after_its_attempts() -> None:
    r, _ = router(Scripted("a", [TransientProviderError()] * 3))
    with pytest.raises(TransientProviderError):
        r.capture("a", order_id="o1", authorization_id="x", amount=REQUEST.amount, key="k")
    with pytest.raises(KeyError):
        r.void("zzz", order_id="o1", authorization_id="x", key="k")
