"""The payments context's objects for this process, built once from settings and the store."""

from __future__ import annotations

import threading

from shared.composition import get_document_store
from shared.payments.ledger import PaymentLedger, payments_container
from shared.payments.routing import PaymentRouter
from shared.payments.sandbox import PROCESSING_ERROR_CARD, SandboxProvider, sandbox_container
from shared.payments.service import PaymentService
from shared.payments.vault import CardVault
from shared.ports.documents import DocumentStore
from shared.settings import Settings, get_settings

PRIMARY = "sandbox"
FALLBACK = "sandbox-fallback"

_lock = threading.Lock()
_service: PaymentService | None = None


def build_payment_service(
    store: DocumentStore, settings: Settings, *, backoff_seconds: float = 0.05
) -> PaymentService:
    ledger = sandbox_container(store)
    providers = [
        SandboxProvider(PRIMARY, ledger, transient_cards=frozenset({PROCESSING_ERROR_CARD})),
        SandboxProvider(FALLBACK, ledger),
    ]
    return PaymentService(
        ledger=PaymentLedger(payments_container(store)),
        vault=CardVault.from_store(store, settings),
        router=PaymentRouter(providers, attempts=3, backoff_seconds=backoff_seconds),
    )


def get_payment_service() -> PaymentService:
    global _service
    with _lock:
        if _service is None:
            _service = build_payment_service(get_document_store(), get_settings())
        return _service


def reset() -> None:
    """For tests that change settings or the store."""
    global _service
    with _lock:
        _service = None
