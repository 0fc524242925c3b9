"""A payments context over a real SQLite document store in a temporary data dir."""

from __future__ import annotations

from pathlib import Path

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.composition import build_payment_service
from shared.payments.service import PaymentService
from shared.settings import Settings, get_settings
from tests.unit.edge_support import use_env


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    use_env(monkeypatch, tmp_path / "data")
    return get_settings()


@pytest.fixture
def store(tmp_path: Path) -> SqliteDocumentStore:
    return SqliteDocumentStore(tmp_path / "data" / "documents.db")


@pytest.fixture
def service(store: SqliteDocumentStore, settings: Settings) -> PaymentService:
    return build_payment_service(store, settings, backoff_seconds=0.001)


def card_token(service: PaymentService, number: str, owner: str = "cust-1") -> str:
    public = service.vault.tokenize(
        owner_id=owner, number=number, exp_month=12, exp_year=2031, cvc="123", holder_name="Ada Lovelace"
    )
    return str(public["token"])
