"""Account data erasure (`DELETE /api/me`) over the real SQLite store: the profile goes, the other
contexts' erasers are called first, a failing eraser leaves the profile for the retry."""

from __future__ import annotations

import pytest

from shared.http.auth import Principal
from shared.kernel.errors import NotFound
from shared.messaging.outbox import PENDING
from shared.ports.documents import DocumentStore
from shared.users.erasure import delete_account
from shared.users.repository import UserRepository
from shared.users.schemas import AddressIn
from shared.users.service import add_address, ensure_profile, get_profile

ALICE = Principal(sub="alice-1", roles=("customer",), email="alice@example.com", name="Alice")
BOB = Principal(sub="bob-1", roles=("customer",), email="bob@example.com", name="Bob")
ADDRESS = AddressIn.model_validate(
    {"line1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
)


class Ledger:
    """An eraser of an imaginary context holding records per user."""

    def __init__(self, records: dict[str, int], fail: bool = False) -> None:
        self.records = records
        self.fail = fail
        self.calls: list[str] = []

    def erase_user(self, user_id: str) -> int:
        self.calls.append(user_id)
        if self.fail:
            raise RuntimeError("storage down")
        return self.records.pop(user_id, 0)


def test_the_profile_and_the_registered_contexts_data_go(store: DocumentStore) -> None:
    for who in (ALICE, BOB):
        ensure_profile(who, store=store)
        add_address(store=store, user_id=who.sub, data=ADDRESS)
    ledger = Ledger({"alice-1": 3, "bob-1": 2})
    assert delete_account(store=store, user_id="alice-1", erasers={"ledger": ledger}) == {
        "ledger": 3,
        "users": 1,
    }
    with pytest.raises(NotFound):
        get_profile(store=store, user_id="alice-1")
    assert get_profile(store=store, user_id="bob-1").addresses  # nobody else's
    assert ledger.records == {"bob-1": 2}
    # Pending events stay for the relay (it deletes them once published).
    assert any(d["userId"] == "alice-1" for d in UserRepository(store).users.query_all(PENDING))
    # Idempotent: again, nothing left to erase, no error.
    assert delete_account(store=store, user_id="alice-1", erasers={"ledger": ledger}) == {
        "ledger": 0,
        "users": 0,
    }


def test_the_next_request_provisions_a_fresh_profile(store: DocumentStore) -> None:
    ensure_profile(ALICE, store=store)
    add_address(store=store, user_id="alice-1", data=ADDRESS)
    delete_account(store=store, user_id="alice-1", erasers={})
    assert ensure_profile(ALICE, store=store) is True  # not remembered as known any more
    assert get_profile(store=store, user_id="alice-1").addresses == []


def test_a_failing_eraser_keeps_the_profile_for_the_retry(store: DocumentStore) -> None:
    ensure_profile(ALICE, store=store)
    broken = Ledger({"alice-1": 1}, fail=True)
    with pytest.raises(RuntimeError):
        delete_account(store=store, user_id="alice-1", erasers={"ledger": broken})
    assert get_profile(store=store, user_id="alice-1").email == "alice@example.com"
    broken.fail = False
    assert delete_account(store=store, user_id="alice-1", erasers={"ledger": broken})["users"] == 1
