"""Account data erasure (`DELETE /api/me`): the caller's data in every context that keeps some,
then their profile.

The users context knows nothing of the others: each context that keeps personal data offers an
`AccountDataEraser`, and the composition root hands the registered ones in (`erasers`), so no
context imports another (docs/architecture.md). What goes, what stays and why: docs/users.md
"Account deletion".

Order: the other contexts first, the profile last. A failure half way leaves the profile in place
and the request fails; every eraser is idempotent, so the client's retry finishes the job.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from contextlib import suppress
from typing import Protocol

from shared.messaging.outbox import NOT_OUTBOX
from shared.ports.documents import DocumentNotFound, DocumentStore, Query
from shared.users.repository import UserRepository
from shared.users.service import forget_known_user

log = logging.getLogger("smartcommerce.users")


class AccountDataEraser(Protocol):
    def erase_user(self, user_id: str) -> int:
        """Delete everything the context keeps about `user_id`; how many records went (0: none)."""
        ...


def erase_profile(store: DocumentStore, user_id: str) -> int:
    """The profile (display name, email, phone, addresses, preferences, roles) and any other
    document of the user's partition. Outbox entries are left to the relay, which deletes them once
    published (deleting them here would race it)."""
    container = UserRepository(store).users
    removed = 0
    for doc in container.query_all(Query(where=(NOT_OUTBOX,)), partition_key=user_id):
        with suppress(DocumentNotFound):  # a concurrent deletion got there first
            container.delete(doc["id"], user_id)
            removed += 1
    # The next authenticated request on this instance provisions a fresh, empty profile.
    forget_known_user(user_id)
    return removed


def delete_account(
    *, store: DocumentStore, user_id: str, erasers: Mapping[str, AccountDataEraser]
) -> dict[str, int]:
    """Erase the user's account data everywhere; {context: records erased}. Idempotent."""
    erased = {name: eraser.erase_user(user_id) for name, eraser in erasers.items()}
    erased["users"] = erase_profile(store, user_id)
    # Counts only: no user data in logs beyond the id the request already carries.
    log.info("account data erased", extra={"userId": user_id, "erased": erased})
    return erased
