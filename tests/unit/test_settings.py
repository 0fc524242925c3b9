"""The settings class, local.settings.sample.json and the development defaults stay in step."""

import json
from pathlib import Path

import pytest

from shared.settings import Settings, env_names

ROOT = Path(__file__).resolve().parents[2]

# Read by the Functions host itself, not by our code: listed in the sample so `func start` works.
HOST_ONLY = {
    "FUNCTIONS_WORKER_RUNTIME",
    "FUNCTIONS_WORKER_PROCESS_COUNT",  # and devhost's worker processes (devhost/workers.py)
    "AzureWebJobsStorage",
    "AzureWebJobsFeatureFlags",
    "AzureSignalRConnectionString",  # the SignalR bindings (functions/notifications.py)
}


def sample_values() -> dict[str, str]:
    return json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]


def test_sample_lists_exactly_the_settings_the_code_reads() -> None:
    listed = set(sample_values()) - HOST_ONLY
    read = env_names()
    assert listed - read == set(), "in the sample but read by no Settings field"
    assert read - listed == set(), "read by Settings but missing from the sample"


def test_sample_values_load_as_development_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in sample_values().items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    assert settings.is_development
    assert settings.document_store == "sqlite"


def test_unknown_environment_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SC_ENV", "staging")
    with pytest.raises(ValueError):
        Settings()


def test_development_is_refused_on_an_azure_worker(monkeypatch: pytest.MonkeyPatch) -> None:
    # An Azure app whose SC_ENV was forgotten must not fall back to development mode.
    monkeypatch.delenv("SC_ENV", raising=False)
    monkeypatch.setenv("WEBSITE_INSTANCE_ID", "0123abcd")
    with pytest.raises(ValueError, match="refused on Azure"):
        Settings()


def test_func_start_gets_the_same_cors_origins_as_devhost() -> None:
    """Core Tools answers CORS from local.settings.json "Host.CORS", devhost from
    CORS_ALLOWED_ORIGINS (docs/core-tools.md): the sample keeps the two equal."""
    sample = json.loads((ROOT / "local.settings.sample.json").read_text())
    assert sample["Host"]["CORS"] == sample["Values"]["CORS_ALLOWED_ORIGINS"] != ""
