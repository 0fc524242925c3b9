"""User profiles: container `users`, partition `/userId` (a copy of `id`, so the outbox entries
can share the profile's partition: with `/id` a partition is exactly one document)."""

from __future__ import annotations

from collections.abc import Sequence

from shared.messaging.events import CloudEvent
from shared.inventory.repository import open_container
from shared.messaging.outbox import UnitOfWork, register_outbox
from shared.ports.documents import Document, DocumentNotFound, DocumentStore

USERS = "users"
USERS_PK = "/userId"
register_outbox(USERS, USERS_PK)


class UserRepository:
    def __init__(self, store: DocumentStore) -> None:
        self.users = open_container(store, USERS, USERS_PK)

    def get(self, user_id: str) -> Document | None:
        try:
            doc = self.users.read(user_id, user_id)
        except DocumentNotFound:
            return None
        return doc if doc.get("docType") == "profile" else None

    def create(self, doc: Document, events: Sequence[CloudEvent]) -> Document:
        saved = UnitOfWork(self.users, doc["id"]).create(doc).emit(*events).commit()[0]
        assert saved is not None
        return saved

    def replace(self, doc: Document, *, if_match: str, events: Sequence[CloudEvent]) -> Document:
        body = {k: v for k, v in doc.items() if k not in ("_etag", "_ts")}
        saved = UnitOfWork(self.users, doc["id"]).replace(body, if_match=if_match).emit(*events).commit()[0]
        assert saved is not None
        return saved
