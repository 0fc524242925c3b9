"""User profiles: just-in-time creation from token claims, edits, addresses, preferences, roles.

Every change is a read-modify-write of the one profile document, conditional on its ETag and
retried on a lost race, with `UserProfileUpdated` committed in the same batch.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from shared.catalog.taxonomy import unknown_categories
from shared.kernel.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from shared.kernel.identity import Principal, user_id_for
from shared.kernel.ids import new_id
from shared.messaging.events import CloudEvent, new_event
from shared.ports.documents import BatchFailed, Document, DocumentExists, DocumentStore
from shared.storage.retry import is_write_conflict, retry_on_conflict
from shared.users import roles as user_roles
from shared.users.events import UserProfileUpdated, UserRegistered
from shared.users.repository import UserRepository
from shared.users.schemas import (
    Address,
    AddressIn,
    Preferences,
    PreferencesPatch,
    PreferencesReplace,
    ProfilePatch,
    ProfilePublic,
    Role,
)

_known: set[str] = set()
_known_lock = threading.Lock()
MAX_KNOWN = 100_000
MAX_ADDRESSES = 20


def _now() -> str:
    return datetime.now(UTC).isoformat()


def to_public(doc: Document) -> ProfilePublic:
    return ProfilePublic.model_validate(doc)


def _new_profile(principal: Principal) -> Document:
    user_id = user_id_for(principal.sub)
    email = principal.email
    display = principal.name or (email.split("@")[0] if email else None) or principal.sub[:100]
    at = _now()
    return {
        "id": user_id,
        "userId": user_id,
        "docType": "profile",
        "sub": principal.sub,
        "email": email,
        "displayName": display[:100],
        "phone": None,
        "roles": list(principal.roles),
        "addresses": [],
        "preferences": Preferences().model_dump(mode="json", by_alias=True),
        "createdAt": at,
        "updatedAt": at,
    }


def ensure_profile(principal: Principal, *, store: DocumentStore) -> bool:
    """Create the caller's profile from the token's claims if it has none. True if created.
    Cheap after the first time in a process: known users are remembered in memory."""
    user_id = user_id_for(principal.sub)
    if user_id in _known:
        return False
    repo = UserRepository(store)
    created = False
    if repo.get(user_id) is None:
        doc = _new_profile(principal)
        registered = UserRegistered(
            user_id=user_id, email=doc["email"], display_name=doc["displayName"], roles=doc["roles"]
        )
        try:
            repo.create(doc, [new_event(registered, subject=user_id)])
            created = True
        except (BatchFailed, DocumentExists) as exc:
            if not is_write_conflict(exc):
                raise  # a concurrent first request created it: fine
    with _known_lock:
        if len(_known) >= MAX_KNOWN:
            _known.clear()
        _known.add(user_id)
    return created


def forget_known_users() -> None:
    """For tests: make the next request check the store again."""
    with _known_lock:
        _known.clear()


def forget_known_user(user_id: str) -> None:
    """After an account deletion (erasure.py): the user's next request here checks the store."""
    with _known_lock:
        _known.discard(user_id)


def _load(repo: UserRepository, user_id: str) -> Document:
    doc = repo.get(user_id)
    if doc is None:
        raise NotFound(f"user {user_id} does not exist")
    return doc


def _change(store: DocumentStore, user_id: str, mutate: Callable[[Document], list[str]]) -> Document:
    """Apply `mutate` (returns the changed field names) under an ETag condition, with retries."""
    repo = UserRepository(store)

    def attempt() -> Document:
        doc = _load(repo, user_id)
        etag = doc["_etag"]
        changed = mutate(doc)
        if not changed:
            return doc
        doc["updatedAt"] = _now()
        events: list[CloudEvent] = [
            new_event(UserProfileUpdated(user_id=user_id, changed=changed), subject=user_id)
        ]
        return repo.replace(doc, if_match=etag, events=events)

    return retry_on_conflict(attempt, attempts=20)


def get_profile(*, store: DocumentStore, user_id: str) -> ProfilePublic:
    return to_public(_load(UserRepository(store), user_id))


def etag_header(etag: str) -> str:
    """The profile's ETag as a strong HTTP entity tag (Cosmos' already carry quotes)."""
    return etag if etag.startswith('"') else f'"{etag}"'


def _etag_matches(if_match: str, etag: str) -> bool:
    """RFC 9110 If-Match: `*` or any listed tag equal to the current one."""
    current = etag.strip('"')
    tags = [tag.strip() for tag in if_match.split(",")]
    return any(tag == "*" or tag.removeprefix("W/").strip('"') == current for tag in tags)


def get_profile_versioned(*, store: DocumentStore, user_id: str) -> tuple[ProfilePublic, str]:
    """The profile and its HTTP ETag (`GET /me`)."""
    doc = _load(UserRepository(store), user_id)
    return to_public(doc), etag_header(doc["_etag"])


def my_id(principal: Principal) -> str:
    return user_id_for(principal.sub)


def update_profile(*, store: DocumentStore, user_id: str, patch: ProfilePatch) -> ProfilePublic:
    return update_profile_versioned(store=store, user_id=user_id, patch=patch)[0]


def update_profile_versioned(
    *, store: DocumentStore, user_id: str, patch: ProfilePatch, if_match: str | None = None
) -> tuple[ProfilePublic, str]:
    """`PATCH /me`: the new profile and its ETag. With `if_match`, only if the profile is still
    at that ETag (412 otherwise): a client editing from a stale read does not overwrite a change."""
    incoming = patch.model_dump(by_alias=True, include=patch.model_fields_set)
    if "displayName" in incoming and incoming["displayName"] is None:
        incoming.pop("displayName")  # the name can be changed, not removed

    def mutate(doc: Document) -> list[str]:
        if if_match is not None and not _etag_matches(if_match, doc["_etag"]):
            raise PreconditionFailed("the profile changed since it was read; fetch it again")
        changed = [k for k, v in incoming.items() if doc.get(k) != v]
        doc.update(incoming)
        return changed

    doc = _change(store, user_id, mutate)
    return to_public(doc), etag_header(doc["_etag"])


def _with_default(addresses: list[dict[str, Any]], default_id: str | None) -> list[dict[str, Any]]:
    """Exactly one default address when there are any: the chosen one, else the first."""
    if not addresses:
        return addresses
    chosen = default_id or next((a["id"] for a in addresses if a.get("isDefault")), addresses[0]["id"])
    return [{**a, "isDefault": a["id"] == chosen} for a in addresses]


class TooManyAddresses(Conflict):
    code = "too_many_addresses"
    title = "Too many addresses"


def add_address(*, store: DocumentStore, user_id: str, data: AddressIn) -> Address:
    address_id = new_id()

    def mutate(doc: Document) -> list[str]:
        # Addresses live in the profile document: a bound keeps it far from the store's size limit.
        if len(doc["addresses"]) >= MAX_ADDRESSES:
            raise TooManyAddresses(f"a profile keeps at most {MAX_ADDRESSES} addresses; delete one first")
        new = {**data.model_dump(mode="json", by_alias=True), "id": address_id}
        doc["addresses"] = _with_default([*doc["addresses"], new], address_id if data.is_default else None)
        return ["addresses"]

    doc = _change(store, user_id, mutate)
    return next(Address.model_validate(a) for a in doc["addresses"] if a["id"] == address_id)


def replace_address(*, store: DocumentStore, user_id: str, address_id: str, data: AddressIn) -> Address:
    """Only the owner's own addresses: any other id is a 404 (ids cannot be probed)."""

    def mutate(doc: Document) -> list[str]:
        if not any(a["id"] == address_id for a in doc["addresses"]):
            raise NotFound("no such address")
        new = {**data.model_dump(mode="json", by_alias=True), "id": address_id}
        addresses = [new if a["id"] == address_id else a for a in doc["addresses"]]
        keep_default = (
            None
            if data.is_default
            else next((a["id"] for a in addresses if a.get("isDefault") and a["id"] != address_id), None)
        )
        doc["addresses"] = _with_default(addresses, address_id if data.is_default else keep_default)
        return ["addresses"]

    doc = _change(store, user_id, mutate)
    return next(Address.model_validate(a) for a in doc["addresses"] if a["id"] == address_id)


def delete_address(*, store: DocumentStore, user_id: str, address_id: str) -> None:
    def mutate(doc: Document) -> list[str]:
        if not any(a["id"] == address_id for a in doc["addresses"]):
            raise NotFound("no such address")
        doc["addresses"] = _with_default([a for a in doc["addresses"] if a["id"] != address_id], None)
        return ["addresses"]

    _change(store, user_id, mutate)


def _known_categories(store: DocumentStore, category_ids: list[str]) -> None:
    """422 naming each favorite category id the catalog does not know."""
    unknown = unknown_categories(store=store, category_ids=category_ids)
    if unknown:
        errors = [
            {"field": f"favoriteCategories[{i}]", "message": f"unknown category {category_ids[i]}"}
            for i in unknown
        ]
        raise ValidationFailed("unknown favorite categories", errors=errors)


def _store_preferences(
    store: DocumentStore, user_id: str, merge: Callable[[Document], Document]
) -> Preferences:
    def mutate(doc: Document) -> list[str]:
        current = Preferences.model_validate(doc.get("preferences") or {}).model_dump(
            mode="json", by_alias=True
        )
        new = merge(current)
        changed = ["preferences"] if doc.get("preferences") != new else []
        doc["preferences"] = new
        return changed

    return Preferences.model_validate(_change(store, user_id, mutate)["preferences"])


def set_preferences(
    *, store: DocumentStore, user_id: str, preferences: Preferences | PreferencesReplace
) -> Preferences:
    """`PUT /me/preferences`: the whole document replaces the stored one."""
    _known_categories(store, preferences.favorite_categories)
    new = Preferences.model_validate(preferences.model_dump()).model_dump(mode="json", by_alias=True)
    return _store_preferences(store, user_id, lambda _current: new)


def patch_preferences(*, store: DocumentStore, user_id: str, patch: PreferencesPatch) -> Preferences:
    """`PATCH /me/preferences`: only the fields sent change (channels one by one)."""
    if patch.favorite_categories is not None:
        _known_categories(store, patch.favorite_categories)
    channels = (
        patch.channels.model_dump(by_alias=True, include=patch.channels.model_fields_set)
        if patch.channels is not None
        else {}
    )
    top = patch.model_dump(by_alias=True, include=patch.model_fields_set - {"channels"})

    def merge(current: Document) -> Document:
        return {**current, **top, "channels": {**current["channels"], **channels}}

    return _store_preferences(store, user_id, merge)


def set_roles(*, store: DocumentStore, user_id: str, roles: list[Role]) -> ProfilePublic:
    """The user's roles. From now on they, not the token's roles claim, are what authorization
    checks (`rolesManaged`; shared.users.roles, docs/security.md)."""
    ordered = [r for r in ("customer", "support", "admin") if r in roles]

    def mutate(doc: Document) -> list[str]:
        changed = ["roles"] if doc.get("roles") != ordered or not doc.get("rolesManaged") else []
        doc["roles"] = ordered
        doc["rolesManaged"] = True
        return changed

    profile = to_public(_change(store, user_id, mutate))
    user_roles.forget(user_id)  # this instance applies the change at once; others within the bound
    return profile
