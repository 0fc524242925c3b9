"""What the order service and the workflow's activities work with (built by shared.composition)."""

from __future__ import annotations

from dataclasses import dataclass

from shared.fraud.ports import FraudScorer
from shared.orders.stream import OrderStream
from shared.payments.service import PaymentService
from shared.ports.documents import DocumentStore
from shared.ports.messaging import MessagePublisher


@dataclass
class OrderDeps:
    store: DocumentStore
    stream: OrderStream
    payments: PaymentService
    scorer: FraudScorer
    publisher: MessagePublisher
    review_timeout_seconds: int
    reservation_ttl_seconds: int
