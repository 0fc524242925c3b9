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


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"NOTIFY_EMAIL_CHANNEL": "smtp", "SMTP_HOST": ""}, "NOTIFY_EMAIL_CHANNEL=smtp needs SMTP_HOST"),
        ({"NOTIFY_EMAIL_CHANNEL": "acs", "ACS_ENDPOINT": "https://x.example"}, "needs ACS_EMAIL_SENDER"),
        ({"NOTIFY_SMS_CHANNEL": "acs"}, "NOTIFY_SMS_CHANNEL=acs needs ACS_ENDPOINT, ACS_SMS_FROM"),
        ({"NOTIFY_PUSH_CHANNEL": "webhook"}, "NOTIFY_PUSH_CHANNEL=webhook needs PUSH_WEBHOOK_URL"),
        ({"NOTIFY_PUSH_CHANNEL": "sink"}, "NOTIFY_PUSH_CHANNEL=sink is development-only"),
    ],
)
def test_a_chosen_channel_without_its_settings_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, overrides: dict[str, str], message: str
) -> None:
    use_production(monkeypatch, tmp_path, **overrides)
    with pytest.raises(ValidationError, match=message):
        Settings()


def test_unconfigured_channels_are_off_in_production(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    use_production(monkeypatch, tmp_path)
    settings = Settings()
    channels = (settings.notify_email_channel, settings.notify_sms_channel, settings.notify_push_channel)
    assert channels == ("off", "off", "off")


@pytest.mark.parametrize("environment", ["production", "development"])
def test_an_unresolved_key_vault_reference_is_refused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, environment: str
) -> None:
    literal = "@Microsoft.KeyVault(VaultName=kv-x;SecretName=card-vault-key)"
    if environment == "production":
        use_production(monkeypatch, tmp_path, CARD_VAULT_KEY=literal, SMTP_PASSWORD=literal)
    else:
        use_env(monkeypatch, tmp_path, SMTP_PASSWORD=literal)
    with pytest.raises(ValidationError, match="unresolved Key Vault references") as refused:
        Settings()
    assert ("CARD_VAULT_KEY, SMTP_PASSWORD" if environment == "production" else "SMTP_PASSWORD") in str(
        refused.value
    )


def test_importing_the_app_refuses_bad_settings(tmp_path: Path) -> None:
    """At start, not at the first request: `import function_app` fails, so the worker's indexing
    fails and Azure shows the error (the import runs in a subprocess: a fresh worker)."""
    import os
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    env = {
        **os.environ,
        "SC_DATA_DIR": str(tmp_path),
        "SMTP_PASSWORD": "@Microsoft.KeyVault(SecretUri=https://kv-x.vault.azure.net/secrets/smtp)",
    }
    done = subprocess.run(
        [sys.executable, "-c", "import function_app"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode != 0
    assert "unresolved Key Vault references" in done.stderr and "SMTP_PASSWORD" in done.stderr
