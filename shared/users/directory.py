"""What other contexts may read about users: a profile by id, the holders of a role.

Orders (the shipping address, the account's age for fraud) and notifications (a recipient's
channels, the admins) read profiles through these functions, never through the users context's
repository, so the storage layout stays the users context's own business.
"""

from __future__ import annotations

from shared.ports.documents import Document, DocumentStore, Filter, Query
from shared.users.repository import UserRepository


def find_profile(store: DocumentStore, user_id: str) -> Document | None:
    """The user's profile document (API.md "Users" shape, camelCase), None if there is none."""
    return UserRepository(store).get(user_id)


def profiles_with_role(store: DocumentStore, role: str, *, limit: int = 50) -> list[Document]:
    """Up to `limit` profiles holding `role` (e.g. the admins who get operational alerts)."""
    where = [Filter("docType", "=", "profile"), Filter("roles", "contains", role)]
    page = UserRepository(store).users.query(Query(where=where), max_items=limit)
    return list(page.items)
