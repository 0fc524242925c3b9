from __future__ import annotations

import base64
import os
import stat
from pathlib import Path

import pytest
from cryptography.exceptions import InvalidTag

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.kernel.errors import NotFound, ValidationFailed
from shared.payments.service import PaymentService
from shared.payments.vault import CONTAINER, DEV_KEY_FILE, CardVault, load_vault_key
from shared.settings import Settings, get_settings
from tests.integration.payments.conftest import card_token
from tests.unit.edge_support import use_env, use_production

NUMBER = "4242424242424242"


def test_token_round_trip_and_public_view(service: PaymentService) -> None:
    public = service.vault.tokenize(
        owner_id="c1", number="4242 4242 4242 4242", exp_month=12, exp_year=2031, cvc="123", holder_name="Ada"
    )
    assert public["token"].startswith("tok_")
    assert (public["brand"], public["last4"], public["expMonth"], public["expYear"]) == (
        "visa",
        "4242",
        12,
        2031,
    )
    card = service.vault.reveal(public["token"], "c1")
    assert card.number == NUMBER and card.holder_name == "Ada"


def test_nothing_stored_in_clear(
    service: PaymentService, store: SqliteDocumentStore, settings: Settings
) -> None:
    token = card_token(service, "4000000000004954")
    doc = store.container(CONTAINER, "/id").read(token, token)
    assert "4000000000004954" not in str(doc) and "123" not in {str(v) for v in doc.values()}
    for path in settings.data_path.rglob("*"):
        if path.is_file():
            assert b"4000000000004954" not in path.read_bytes(), path


def test_another_owner_cannot_use_the_token(service: PaymentService) -> None:
    token = card_token(service, NUMBER, owner="c1")
    with pytest.raises(NotFound):
        service.vault.reveal(token, "c2")
    with pytest.raises(NotFound):
        service.vault.describe("tok_missing", "c1")


def test_sealed_card_is_bound_to_its_token(service: PaymentService, store: SqliteDocumentStore) -> None:
    first, second = card_token(service, NUMBER), card_token(service, "5555555555554444")
    tokens = store.container(CONTAINER, "/id")
    a, b = tokens.read(first, first), tokens.read(second, second)
    b["sealed"] = a["sealed"]  # a ciphertext moved to another token must not decrypt
    tokens.replace(b)
    with pytest.raises(InvalidTag):
        service.vault.reveal(second, "cust-1")


def test_invalid_cards_are_refused(service: PaymentService) -> None:
    with pytest.raises(ValidationFailed):
        card_token(service, "4242424242424241")
    with pytest.raises(ValidationFailed):
        service.vault.tokenize(
            owner_id="c", number=NUMBER, exp_month=1, exp_year=2020, cvc="123", holder_name="x"
        )


def test_dev_key_created_once_private(settings: Settings) -> None:
    key = load_vault_key(settings)
    path = settings.data_path / "keys" / DEV_KEY_FILE
    assert len(key) == 32 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_vault_key(settings) == key


def test_tokens_survive_a_new_vault_instance(
    service: PaymentService, store: SqliteDocumentStore, settings: Settings
) -> None:
    token = card_token(service, NUMBER)
    again = CardVault.from_store(store, settings)
    assert again.reveal(token, "cust-1").number == NUMBER


def test_key_from_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = bytes(range(32))
    use_env(monkeypatch, tmp_path, CARD_VAULT_KEY=base64.b64encode(raw).decode())
    assert load_vault_key(get_settings()) == raw
    assert not (tmp_path / "keys" / DEV_KEY_FILE).exists()
    use_env(monkeypatch, tmp_path, CARD_VAULT_KEY=base64.b64encode(b"short").decode())
    with pytest.raises(ValueError, match="32 bytes"):
        load_vault_key(get_settings())


def test_production_never_creates_a_key_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    use_production(monkeypatch, tmp_path, CARD_VAULT_KEY=base64.b64encode(bytes(32)).decode())
    assert load_vault_key(get_settings()) == bytes(32)
    assert not (tmp_path / "keys").exists()
