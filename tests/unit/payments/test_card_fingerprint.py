"""Card fingerprints: a keyed HMAC of the number, stored with each token, never the number itself."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.kernel.errors import NotFound
from shared.payments.cards import card_fingerprint
from shared.payments.vault import CONTAINER, CardVault, fingerprint_key

VISA, MASTERCARD = "4242424242424242", "5555555555554444"
KEY = bytes(range(32))


@pytest.fixture
def vault(tmp_path: Path) -> CardVault:
    return CardVault(SqliteDocumentStore(tmp_path / "documents.db").container(CONTAINER, "/id"), KEY)


def tokenize(vault: CardVault, number: str, owner: str = "c1") -> str:
    public = vault.tokenize(
        owner_id=owner, number=number, exp_month=12, exp_year=2031, cvc="123", holder_name="Ada"
    )
    return str(public["token"])


def test_fingerprint_is_an_hmac_of_the_normalized_number_not_a_plain_hash() -> None:
    fp = card_fingerprint("4242 4242-4242 4242", KEY)
    assert fp == hmac.new(KEY, VISA.encode(), hashlib.sha256).hexdigest()
    assert fp != hashlib.sha256(VISA.encode()).hexdigest() and VISA not in fp
    assert card_fingerprint(VISA, os.urandom(32)) != fp  # worthless without the key
    assert card_fingerprint(MASTERCARD, KEY) != fp


def test_fingerprint_key_is_derived_and_differs_from_the_vault_key() -> None:
    derived = fingerprint_key(KEY)
    assert len(derived) == 32 and derived != KEY
    assert fingerprint_key(KEY) == derived and fingerprint_key(os.urandom(32)) != derived


def test_tokens_of_the_same_card_share_a_fingerprint(vault: CardVault, tmp_path: Path) -> None:
    first, again, other = tokenize(vault, VISA), tokenize(vault, VISA), tokenize(vault, MASTERCARD)
    assert first != again
    fp = vault.fingerprint(first, "c1")
    assert fp == card_fingerprint(VISA, fingerprint_key(KEY))
    assert vault.fingerprint(again, "c1") == fp and vault.fingerprint(other, "c1") not in (None, fp)
    # Another customer's token of the same card: the same card, so the same fingerprint.
    assert vault.fingerprint(tokenize(vault, VISA, owner="c2"), "c2") == fp
    stored = SqliteDocumentStore(tmp_path / "documents.db").container(CONTAINER, "/id").read(first, first)
    assert stored["fingerprint"] == fp and VISA not in str(stored)


def test_fingerprint_of_a_missing_or_foreign_token_is_not_found(vault: CardVault) -> None:
    token = tokenize(vault, VISA, owner="c1")
    with pytest.raises(NotFound):
        vault.fingerprint(token, "c2")
    with pytest.raises(NotFound):
        vault.fingerprint("tok_missing", "c1")


def test_a_token_stored_before_fingerprints_stays_usable_and_reads_unknown(
    vault: CardVault, tmp_path: Path
) -> None:
    token = tokenize(vault, VISA)
    tokens = SqliteDocumentStore(tmp_path / "documents.db").container(CONTAINER, "/id")
    legacy = {k: v for k, v in tokens.read(token, token).items() if k not in ("fingerprint", "_etag", "_ts")}
    tokens.replace(legacy)
    assert vault.fingerprint(token, "c1") is None
    assert vault.describe(token, "c1")["last4"] == "4242"
    assert vault.reveal(token, "c1").number == VISA
