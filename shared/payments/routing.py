"""Routing between providers: retry a transient error with backoff, then try the fallback.

Only an authorization can move to another provider (nothing exists anywhere yet); capture, void
and refund must go to the provider holding the authorization, so they are only retried. Declines
are never retried: the issuer's answer would not change and retrying looks like card testing.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

from shared.kernel.money import Money
from shared.payments.ports import (
    Authorization,
    AuthorizeRequest,
    PaymentProvider,
    ProviderUnavailable,
    TransientProviderError,
)

log = logging.getLogger("smartcommerce.payments")
T = TypeVar("T")


class PaymentRouter:
    def __init__(
        self,
        providers: Sequence[PaymentProvider],
        *,
        attempts: int = 3,
        backoff_seconds: float = 0.05,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not providers:
            raise ValueError("at least one provider is required")
        self.providers = list(providers)
        self.attempts = max(1, attempts)
        self.backoff_seconds = backoff_seconds
        self._sleep = sleep

    def provider(self, name: str) -> PaymentProvider:
        for provider in self.providers:
            if provider.name == name:
                return provider
        raise KeyError(f"unknown payment provider {name!r}")

    def _with_retries(self, what: str, call: Callable[[], T]) -> T:
        for attempt in range(self.attempts):
            try:
                return call()
            except TransientProviderError:
                if attempt == self.attempts - 1:
                    raise
                # Exponential backoff: a struggling processor gets room to recover.
                delay = self.backoff_seconds * (2**attempt)
                log.warning(
                    "%s: transient provider error (attempt %d), retrying in %.2fs", what, attempt + 1, delay
                )
                self._sleep(delay)
        raise AssertionError("unreachable")

    def authorize(self, request: AuthorizeRequest) -> Authorization:
        # A provider that already has this key (the fallback took it, then the process died before
        # the ledger recorded it) answers again, and only it: the primary, healthy again, would
        # otherwise hold the amount a second time.
        earlier = next((p for p in self.providers if p.has_authorization(request)), None)
        for provider in [earlier] if earlier else self.providers:
            try:
                return self._with_retries(
                    f"{provider.name} authorize {request.order_id}",
                    functools.partial(provider.authorize, request),
                )
            except TransientProviderError:
                log.warning(
                    "provider %s unavailable for order %s; trying the next", provider.name, request.order_id
                )
        raise ProviderUnavailable("every payment provider failed; try again later")

    def capture(self, provider: str, *, order_id: str, authorization_id: str, amount: Money, key: str) -> str:
        target = self.provider(provider)
        return self._with_retries(
            f"{provider} capture {order_id}",
            lambda: target.capture(
                order_id=order_id, authorization_id=authorization_id, amount=amount, idempotency_key=key
            ),
        )

    def void(self, provider: str, *, order_id: str, authorization_id: str, key: str) -> str:
        target = self.provider(provider)
        return self._with_retries(
            f"{provider} void {order_id}",
            lambda: target.void(order_id=order_id, authorization_id=authorization_id, idempotency_key=key),
        )

    def refund(self, provider: str, *, order_id: str, authorization_id: str, amount: Money, key: str) -> str:
        target = self.provider(provider)
        return self._with_retries(
            f"{provider} refund {order_id}",
            lambda: target.refund(
                order_id=order_id, authorization_id=authorization_id, amount=amount, idempotency_key=key
            ),
        )
