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
from datetime import UTC, datetime
from typing import Protocol

from shared.messaging.events import new_event
from shared.messaging.outbox import NOT_OUTBOX
from shared.ports.documents import Document, DocumentNotFound, DocumentStore, Query
from shared.storage.retry import retry_on_conflict
from shared.users.events import UserProfileUpdated
from shared.users.repository import UserRepository
from shared.users.schemas import Preferences
from shared.users.service import forget_known_user

log = logging.getLogger("smartcommerce.users")


class AccountDataEraser(Protocol):
    def erase_user(self, user_id: str) -> int:
        """Delete everything the context keeps about `user_id`; how many records went (0: none)."""
        ...


RESET_FIELDS = ["displayName", "email", "phone", "addresses", "preferences"]


def _reset(doc: Document) -> Document:
    """The profile without its personal data: what is left of one whose roles an admin manages."""
    at = datetime.now(UTC).isoformat()
    return {
        **{k: doc.get(k) for k in ("id", "userId", "docType", "sub", "roles", "rolesManaged", "createdAt")},
        "email": None,
        "displayName": str(doc.get("sub") or doc["id"])[:100],
        "phone": None,
        "addresses": [],
        "preferences": Preferences().model_dump(mode="json", by_alias=True),
        "updatedAt": at,
        "erasedAt": at,
    }


def erase_profile(store: DocumentStore, user_id: str) -> int:
    """The profile (display name, email, phone, addresses, preferences) and any other document of
    the user's partition. Outbox entries are left to the relay, which deletes them once published
    (deleting them here would race it).

    A profile whose roles an admin set (`rolesManaged`) is reset instead of deleted: its personal
    data goes, its roles stay. Deleted, the next request would provision a new profile from the
    token's claims, and a demoted admin whose token still says admin would be admin again."""
    repo = UserRepository(store)
    container = repo.users
    removed = 0
    for doc in container.query_all(Query(where=(NOT_OUTBOX,)), partition_key=user_id):
        if doc.get("docType") == "profile" and doc.get("rolesManaged"):
            removed += _reset_profile(repo, user_id)
            continue
        with suppress(DocumentNotFound):  # a concurrent deletion got there first
            container.delete(doc["id"], user_id)
            removed += 1
    # The next authenticated request on this instance provisions a fresh, empty profile.
    forget_known_user(user_id)
    return removed


def _reset_profile(repo: UserRepository, user_id: str) -> int:
    def attempt() -> int:
        doc = repo.get(user_id)
        if doc is None or not doc.get("rolesManaged"):
            return 0
        reset = _reset(doc)
        if all(doc.get(k) == reset[k] for k in RESET_FIELDS):
            return 0  # reset before and nothing personal added since: idempotent
        event = new_event(UserProfileUpdated(user_id=user_id, changed=RESET_FIELDS), subject=user_id)
        repo.replace(reset, if_match=doc["_etag"], events=[event])
        return 1

    return retry_on_conflict(attempt, attempts=5)


def delete_account(
    *, store: DocumentStore, user_id: str, erasers: Mapping[str, AccountDataEraser]
) -> dict[str, int]:
    """Erase the user's account data everywhere; {context: records erased}. Idempotent."""
    erased = {name: eraser.erase_user(user_id) for name, eraser in erasers.items()}
    erased["users"] = erase_profile(store, user_id)
    # Counts only: no user data in logs beyond the id the request already carries.
    log.info("account data erased", extra={"userId": user_id, "erased": erased})
    return erased
