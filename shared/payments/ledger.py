"""The payment ledger: append-only entries plus the payment document they project to.

Each append is one transactional batch in the order's partition: create entry `<paymentId>:<seq>`,
write the new projection (conditional on the ETag it was computed from) and stage the event in the
outbox. Two writers racing on one payment: one batch fails (`LedgerConflict`), its caller re-reads
and decides again; neither can lose the other's entry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from shared.messaging.events import new_event
from shared.messaging.outbox import NOT_OUTBOX, UnitOfWork, register_outbox
from shared.payments.model import EntryKind, Payment, apply, payment_id_for
from shared.ports.documents import (
    BatchFailed,
    Container,
    DocumentNotFound,
    DocumentStore,
    Filter,
    Query,
)

CONTAINER = "payments"
PARTITION_KEY = "/orderId"
register_outbox(CONTAINER, PARTITION_KEY)


class LedgerConflict(Exception):
    """Another writer appended to this payment first; re-read and retry."""


@dataclass(frozen=True)
class Stored:
    payment: Payment
    etag: str | None  # None: not written yet


def payments_container(store: DocumentStore) -> Container:
    return store.container(CONTAINER, PARTITION_KEY, indexes=("docType", "sequence"))


class PaymentLedger:
    def __init__(self, container: Container) -> None:
        self.container = container

    def load(self, order_id: str) -> Stored | None:
        try:
            doc = self.container.read(payment_id_for(order_id), order_id)
        except DocumentNotFound:
            return None
        return Stored(Payment.model_validate(doc), doc.get("_etag"))

    def append(
        self, current: Stored, kind: EntryKind, data: dict[str, Any], at: str, event: BaseModel | None
    ) -> Stored:
        before = current.payment
        after = apply(before, kind, data, at)
        entry = {
            "id": f"{before.id}:{after.version:04d}",
            "docType": "payment_entry",
            "orderId": before.order_id,
            "paymentId": before.id,
            "sequence": after.version,
            "kind": kind,
            "data": data,
            "at": at,
        }
        document = {**after.model_dump(mode="json", by_alias=True), "docType": "payment"}
        uow = UnitOfWork(self.container, before.order_id).create(entry)
        if current.etag is None:
            uow.create(document)
        else:
            uow.replace(document, if_match=current.etag)
        if event is not None:
            uow.emit(new_event(event, subject=before.id))
        try:
            results = uow.commit()
        except BatchFailed as exc:
            raise LedgerConflict(f"payment {before.id} changed meanwhile") from exc
        written = results[1] or {}
        return Stored(after, written.get("_etag"))

    def entries(self, order_id: str) -> list[dict[str, Any]]:
        query = Query(
            where=(Filter("docType", "=", "payment_entry"), NOT_OUTBOX), order_by=(("sequence", "asc"),)
        )
        return self.container.query_all(query, partition_key=order_id)

    def replay(self, order_id: str) -> Payment | None:
        """The projection recomputed from the ledger alone (a check, and the rebuild path): the
        first entry carries the payment's initial state."""
        entries = self.entries(order_id)
        if not entries:
            return None
        payment = Payment.model_validate(entries[0]["data"]["initial"])
        for entry in entries:
            payment = apply(payment, entry["kind"], entry["data"], entry["at"])
        return payment
