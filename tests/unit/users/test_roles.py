"""The roles rule (shared.users.roles): token roles until an admin sets them, then the stored ones,
read again at most every `ttl` seconds."""

from __future__ import annotations

import pytest

from shared.http.auth import Principal, user_id_for
from shared.ports.documents import DocumentStore
from shared.users import roles
from shared.users.repository import UserRepository
from shared.users.service import ensure_profile, set_roles

ADMIN = Principal(sub="root-1", roles=("admin",))


def test_the_token_counts_until_an_admin_sets_the_roles(store: DocumentStore) -> None:
    ensure_profile(ADMIN, store=store)
    assert roles.with_effective_roles(ADMIN, store=store, ttl=30) is ADMIN
    set_roles(store=store, user_id="root-1", roles=["customer"])
    assert roles.with_effective_roles(ADMIN, store=store, ttl=30).roles == ("customer",)
    set_roles(store=store, user_id="root-1", roles=["support", "admin"])
    assert roles.with_effective_roles(ADMIN, store=store, ttl=30).roles == ("support", "admin")


def test_no_profile_means_the_tokens_roles(store: DocumentStore) -> None:
    nobody = Principal(sub="nobody", roles=("customer",))
    assert roles.with_effective_roles(nobody, store=store, ttl=0) is nobody


def test_a_change_made_elsewhere_is_seen_within_the_ttl(
    store: DocumentStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = [1000.0]
    monkeypatch.setattr(roles.time, "monotonic", lambda: clock[0])
    ensure_profile(ADMIN, store=store)
    set_roles(store=store, user_id="root-1", roles=["admin"])
    assert roles.with_effective_roles(ADMIN, store=store, ttl=10).roles == ("admin",)
    # Another instance demotes the user: this one's cache does not know yet.
    repo = UserRepository(store)
    doc = repo.get(user_id_for("root-1"))
    assert doc is not None
    repo.replace({**doc, "roles": ["customer"]}, if_match=doc["_etag"], events=[])
    clock[0] += 9.9
    assert roles.with_effective_roles(ADMIN, store=store, ttl=10).roles == ("admin",)
    clock[0] += 0.2
    assert roles.with_effective_roles(ADMIN, store=store, ttl=10).roles == ("customer",)


def test_derived_ids_cannot_be_claimed_by_a_raw_subject() -> None:
    derived = user_id_for("tenant/alice")
    assert derived.startswith("u-")
    assert user_id_for(derived) != derived
    assert user_id_for(derived.upper()) not in (derived, user_id_for(derived))
    assert user_id_for("alice") == "alice"  # plain subjects keep their ids (stored data stays valid)
