"""What the order service and the workflow's activities work with, built once per process."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from shared.composition import get_document_store, get_publisher
from shared.fraud.ports import FraudScorer
from shared.fraud.service import get_fraud_scorer
from shared.orders.stream import OrderStream
from shared.payments.service import PaymentService
from shared.payments.wiring import get_payment_service
from shared.ports.documents import DocumentStore
from shared.ports.messaging import MessagePublisher
from shared.settings import get_settings


@dataclass
class OrderDeps:
    store: DocumentStore
    stream: OrderStream
    payments: PaymentService
    scorer: FraudScorer
    publisher: MessagePublisher
    review_timeout_seconds: int
    reservation_ttl_seconds: int


_lock = threading.Lock()
_deps: OrderDeps | None = None


def get_deps() -> OrderDeps:
    global _deps
    with _lock:
        if _deps is None:
            settings = get_settings()
            store = get_document_store()
            _deps = OrderDeps(
                store=store,
                stream=OrderStream(store),
                payments=get_payment_service(),
                scorer=get_fraud_scorer(),
                publisher=get_publisher(),
                review_timeout_seconds=settings.order_review_timeout_seconds,
                # Short: a reservation whose workflow died must not hold stock for long. An order
                # sent to review has its reservation extended for the wait (steps.extend_for_review).
                reservation_ttl_seconds=settings.inventory_reservation_ttl_seconds,
            )
        return _deps


def set_deps(deps: OrderDeps | None) -> None:
    """Install (tests) or forget (None) the process-wide dependencies."""
    global _deps
    with _lock:
        _deps = deps
