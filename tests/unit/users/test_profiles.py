from __future__ import annotations

import jsonschema_rs
import pytest
from pydantic import ValidationError

from shared.catalog.schemas import CategoryCreate
from shared.catalog.taxonomy import create_category
from shared.http.auth import Principal, user_id_for
from shared.kernel.errors import NotFound
from shared.messaging.outbox import PENDING
from shared.ports.documents import DocumentStore
from shared.users.repository import UserRepository
from shared.users.schemas import AddressIn, Preferences, ProfilePatch
from shared.users.service import (
    MAX_ADDRESSES,
    TooManyAddresses,
    add_address,
    delete_address,
    ensure_profile,
    forget_known_users,
    get_profile,
    replace_address,
    set_preferences,
    set_roles,
    update_profile,
)

ALICE = Principal(sub="alice-1", roles=("customer",), email="alice@example.com", name="Alice")


def events(store: DocumentStore) -> list[dict]:
    docs = UserRepository(store).users.query_all(PENDING)
    return [d["_outbox"]["event"] for d in sorted(docs, key=lambda d: d["_outbox"]["seq"])]


def address(**overrides: object) -> AddressIn:
    base = {"line1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    return AddressIn.model_validate({**base, **overrides})


def test_profile_is_created_once_from_the_claims(store: DocumentStore) -> None:
    assert ensure_profile(ALICE, store=store) is True
    assert ensure_profile(ALICE, store=store) is False  # in-memory: no store read
    forget_known_users()
    assert ensure_profile(ALICE, store=store) is False  # found in the store
    profile = get_profile(store=store, user_id="alice-1")
    assert (profile.email, profile.display_name, profile.roles) == (
        "alice@example.com",
        "Alice",
        ["customer"],
    )
    assert profile.preferences.channels.email and profile.preferences.channels.sms
    assert profile.preferences.channels.push and not profile.preferences.marketing_opt_in
    assert [e["type"] for e in events(store)] == ["UserRegistered"]


def test_unsafe_subjects_map_to_a_stable_id() -> None:
    assert user_id_for("abc-123") == "abc-123"
    weird = user_id_for("tenant/user?x")
    assert weird.startswith("u-") and weird == user_id_for("tenant/user?x")


def test_patch_changes_only_sent_fields(store: DocumentStore) -> None:
    ensure_profile(ALICE, store=store)
    update_profile(
        store=store, user_id="alice-1", patch=ProfilePatch.model_validate({"phone": "+49 30 1234567"})
    )
    profile = get_profile(store=store, user_id="alice-1")
    assert profile.phone == "+49 30 1234567" and profile.display_name == "Alice"
    assert events(store)[-1]["data"]["changed"] == ["phone"]
    with pytest.raises(ValidationError):
        ProfilePatch.model_validate({"displayName": "  "})


def test_addresses_keep_one_default(store: DocumentStore) -> None:
    ensure_profile(ALICE, store=store)
    first = add_address(store=store, user_id="alice-1", data=address())
    assert first.is_default  # the only address is the default
    second = add_address(store=store, user_id="alice-1", data=address(line1="2 Side St", isDefault=True))
    profile = get_profile(store=store, user_id="alice-1")
    assert [a.is_default for a in profile.addresses] == [False, True]
    replaced = replace_address(
        store=store, user_id="alice-1", address_id=first.id, data=address(city="Hamburg")
    )
    assert replaced.city == "Hamburg" and not replaced.is_default
    delete_address(store=store, user_id="alice-1", address_id=second.id)
    remaining = get_profile(store=store, user_id="alice-1").addresses
    assert [a.id for a in remaining] == [first.id] and remaining[0].is_default


def test_another_users_address_is_not_found(store: DocumentStore) -> None:
    ensure_profile(ALICE, store=store)
    bob = Principal(sub="bob-1", roles=("customer",), email="bob@example.com")
    ensure_profile(bob, store=store)
    bobs = add_address(store=store, user_id="bob-1", data=address())
    with pytest.raises(NotFound):
        replace_address(store=store, user_id="alice-1", address_id=bobs.id, data=address())
    with pytest.raises(NotFound):
        delete_address(store=store, user_id="alice-1", address_id=bobs.id)
    assert get_profile(store=store, user_id="bob-1").addresses[0].line1 == "1 Main St"


def test_country_codes_come_from_the_iso_list() -> None:
    assert address(country="fr").country == "FR"
    for bad in ("XX", "ZZ", "UK", "D1"):
        with pytest.raises(ValidationError):
            address(country=bad)


def test_the_schema_lists_exactly_the_accepted_country_codes() -> None:
    # Found by tests/e2e/test_api_fuzz.py: any two characters were schema-valid, then refused.
    schema = AddressIn.model_json_schema()
    validator = jsonschema_rs.validator_for(schema)
    documented = schema["properties"]["country"]["enum"]
    assert len(documented) == 249
    for code in documented:
        assert address(country=code).country == code
    base = address().model_dump(by_alias=True)
    assert validator.is_valid({**base, "country": "DE"})
    assert not validator.is_valid({**base, "country": "00"})
    assert not validator.is_valid({**base, "country": "XX"})


def test_the_schema_states_the_favorite_category_limits() -> None:
    # Found by tests/e2e/test_api_fuzz.py: [""] was schema-valid, then refused with 422.
    validator = jsonschema_rs.validator_for(Preferences.model_json_schema())
    assert validator.is_valid({"favoriteCategories": ["c1"]})
    Preferences.model_validate({"favoriteCategories": ["c1"]})
    for bad in ("", "c" * 65):
        assert not validator.is_valid({"favoriteCategories": [bad]})
        with pytest.raises(ValidationError):
            Preferences.model_validate({"favoriteCategories": [bad]})


def test_preferences_and_roles(store: DocumentStore) -> None:
    ensure_profile(ALICE, store=store)
    for category_id in ("c1", "c2"):  # favorite categories must exist in the catalog
        create_category(store=store, data=CategoryCreate(name=category_id), category_id=category_id)
    prefs = Preferences.model_validate(
        {
            "channels": {"email": True, "sms": False, "push": False},
            "favoriteCategories": ["c1", "c1", "c2"],
            "marketingOptIn": True,
        }
    )
    saved = set_preferences(store=store, user_id="alice-1", preferences=prefs)
    assert saved.favorite_categories == ["c1", "c2"] and not saved.channels.sms
    profile = set_roles(store=store, user_id="alice-1", roles=["admin", "customer"])
    assert profile.roles == ["customer", "admin"]
    with pytest.raises(NotFound):
        set_roles(store=store, user_id="nobody", roles=["admin"])


def test_address_book_is_bounded(store: DocumentStore) -> None:
    ensure_profile(ALICE, store=store)
    for n in range(MAX_ADDRESSES):
        add_address(store=store, user_id="alice-1", data=address(line1=f"{n} Main St"))
    with pytest.raises(TooManyAddresses):
        add_address(store=store, user_id="alice-1", data=address(line1="one more"))
    assert len(get_profile(store=store, user_id="alice-1").addresses) == MAX_ADDRESSES
