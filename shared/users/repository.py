"""User profiles: container `users`, partition `/userId` (a copy of `id`, so the outbox entries
can share the profile's partition: with `/id` a partition is exactly one document)."""

from __future__ import annotations

from shared.messaging.outbox import register_outbox
from shared.ports.documents import DocumentStore
from shared.storage.containers import open_container
from shared.storage.repository import DocumentRepository

USERS = "users"
USERS_PK = "/userId"
register_outbox(USERS, USERS_PK)


class UserRepository(DocumentRepository):
    """get / create / replace of `profile` documents (shared.storage.repository)."""

    def __init__(self, store: DocumentStore) -> None:
        self.users = open_container(store, USERS, USERS_PK)
        super().__init__(self.users, "profile")
