"""The get / create / replace of one document type whose events commit with it (the outbox).

Catalog products and user profiles (and the next contexts' aggregates) are stored the same way: a
container whose partition key is a copy of the id, a `docType` that tells the aggregate from the
outbox entries sharing its partition, creates and ETag-conditional replaces that commit the
document and its events in one batch (shared.messaging.outbox.UnitOfWork).
"""

from __future__ import annotations

from collections.abc import Sequence

from shared.messaging.events import CloudEvent
from shared.messaging.outbox import UnitOfWork
from shared.ports.documents import Container, Document, DocumentNotFound

# Store-managed members: never sent back on a replace (the ETag travels as `if_match`).
SYSTEM_MEMBERS = ("_etag", "_ts")


def strip_system(doc: Document) -> Document:
    return {k: v for k, v in doc.items() if k not in SYSTEM_MEMBERS}


class DocumentRepository:
    """One aggregate type in `container` (id = partition key), written with its events."""

    def __init__(self, container: Container, doc_type: str) -> None:
        self.container = container
        self.doc_type = doc_type

    def get(self, doc_id: str) -> Document | None:
        """The document, None if absent or not of this type (an outbox entry, say)."""
        try:
            doc = self.container.read(doc_id, doc_id)
        except DocumentNotFound:
            return None
        return doc if doc.get("docType") == self.doc_type else None

    def create(self, doc: Document, events: Sequence[CloudEvent]) -> Document:
        saved = UnitOfWork(self.container, doc["id"]).create(doc).emit(*events).commit()[0]
        assert saved is not None
        return saved

    def replace(self, doc: Document, *, if_match: str, events: Sequence[CloudEvent]) -> Document:
        uow = UnitOfWork(self.container, doc["id"]).replace(strip_system(doc), if_match=if_match)
        saved = uow.emit(*events).commit()[0]
        assert saved is not None
        return saved
