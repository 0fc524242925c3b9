"""Production settings refuse development-only settings and keys."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from shared.settings import Settings
from tests.unit.edge_support import (
    PRODUCTION_ENV,
    fresh_settings,  # noqa: F401 - autouse fixture
    use_env,
    use_production,
)


def test_complete_production_settings_load(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_production(monkeypatch, tmp_path)
    settings = Settings()
    assert not settings.is_development
    assert settings.auth_jwks_uri == PRODUCTION_ENV["AUTH_JWKS_URI"]


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("COSMOS_KEY", "c2VjcmV0", "COSMOS_KEY"),
        ("COSMOS_VERIFY_TLS", "false", "COSMOS_VERIFY_TLS"),
        ("STORAGE_CONNECTION_STRING", "UseDevelopmentStorage=true", "STORAGE_CONNECTION_STRING"),
        ("SC_DOCUMENT_STORE", "sqlite", "embedded adapters"),
        ("SC_BLOB_STORE", "folder", "embedded adapters"),
        ("SC_EVENT_BUS", "local", "embedded adapters"),
        ("AUTH_JWKS_URI", "", "AUTH_JWKS_URI"),
        ("CARD_VAULT_KEY", "", "CARD_VAULT_KEY"),
    ],
)
def test_development_only_settings_are_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, name: str, value: str, message: str
) -> None:
    use_production(monkeypatch, tmp_path, **{name: value})
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_development_defaults_are_fine_in_development(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_env(monkeypatch, tmp_path, COSMOS_KEY="c2VjcmV0", COSMOS_VERIFY_TLS="false")
    assert Settings().is_development
