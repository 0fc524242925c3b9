"""Every setting the code reads, in one place.

Azure Functions passes app settings (and resolved Key Vault references) as environment variables,
and devhost does the same with `local.settings.json`, so one pydantic-settings class reading the
environment serves both. Each field's alias is the exact environment variable name; the test
`tests/unit/test_settings.py` keeps `local.settings.sample.json` listing exactly these names.

To add a setting: add a field here (alias = env name), add it to `local.settings.sample.json` with a
safe local value, and to the app settings in `infra/`.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

Environment = Literal["development", "production"]


def _env(name: str) -> AliasChoices:
    return AliasChoices(name)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(case_sensitive=True, extra="ignore", populate_by_name=True)

    # --- mode and local paths -------------------------------------------------------------------
    environment: Environment = Field("development", validation_alias=_env("SC_ENV"))
    data_dir: str = Field(".devhost", validation_alias=_env("SC_DATA_DIR"))
    log_level: str = Field("INFO", validation_alias=_env("SC_LOG_LEVEL"))

    # --- which adapter serves each port ---------------------------------------------------------
    document_store: Literal["sqlite", "cosmos"] = Field("sqlite", validation_alias=_env("SC_DOCUMENT_STORE"))
    blob_store: Literal["folder", "azure"] = Field("folder", validation_alias=_env("SC_BLOB_STORE"))
    event_bus: Literal["local", "servicebus"] = Field("local", validation_alias=_env("SC_EVENT_BUS"))

    # --- auth -----------------------------------------------------------------------------------
    auth_issuer: str = Field("https://smartcommerce.local/dev", validation_alias=_env("AUTH_ISSUER"))
    auth_audience: str = Field("api://smartcommerce", validation_alias=_env("AUTH_AUDIENCE"))
    auth_jwks_uri: str = Field("", validation_alias=_env("AUTH_JWKS_URI"))
    auth_leeway_seconds: int = Field(30, ge=0, le=300, validation_alias=_env("AUTH_LEEWAY_SECONDS"))
    dev_token_ttl_seconds: int = Field(3600, ge=60, validation_alias=_env("SC_DEV_TOKEN_TTL_SECONDS"))

    # --- Cosmos DB ------------------------------------------------------------------------------
    cosmos_endpoint: str = Field("", validation_alias=_env("COSMOS__accountEndpoint"))
    cosmos_database: str = Field("smartcommerce", validation_alias=_env("COSMOS_DATABASE"))
    # Development only (emulator / cosmosdb-server): Azure uses the managed identity.
    cosmos_key: str = Field("", validation_alias=_env("COSMOS_KEY"))
    cosmos_verify_tls: bool = Field(True, validation_alias=_env("COSMOS_VERIFY_TLS"))

    # --- Service Bus ----------------------------------------------------------------------------
    servicebus_namespace: str = Field("", validation_alias=_env("SERVICEBUS__fullyQualifiedNamespace"))
    servicebus_topic: str = Field("smartcommerce-events", validation_alias=_env("SERVICEBUS_TOPIC"))

    # --- Blob Storage ---------------------------------------------------------------------------
    blob_service_uri: str = Field("", validation_alias=_env("STORAGE__blobServiceUri"))
    # Development only (Azurite): Azure uses the managed identity.
    blob_connection_string: str = Field("", validation_alias=_env("STORAGE_CONNECTION_STRING"))

    # --- payments -------------------------------------------------------------------------------
    # Base64 AES-256 key for the card vault; a Key Vault reference in Azure. Empty in development:
    # devhost creates one in the data dir.
    card_vault_key: str = Field("", validation_alias=_env("CARD_VAULT_KEY"))

    # --- observability --------------------------------------------------------------------------
    appinsights_connection_string: str = Field("", validation_alias=_env("APPLICATIONINSIGHTS_CONNECTION_STRING"))
    trace_console: bool = Field(False, validation_alias=_env("SC_TRACE_CONSOLE"))

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @model_validator(mode="after")
    def _refuse_development_settings_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        problems: list[str] = []
        if self.cosmos_key:
            problems.append("COSMOS_KEY is development-only (use the managed identity)")
        if not self.cosmos_verify_tls:
            problems.append("COSMOS_VERIFY_TLS=false is development-only")
        if self.blob_connection_string:
            problems.append("STORAGE_CONNECTION_STRING is development-only (use the managed identity)")
        if self.document_store != "cosmos" or self.blob_store != "azure" or self.event_bus != "servicebus":
            problems.append("embedded adapters (sqlite/folder/local) are development-only")
        if not self.auth_jwks_uri:
            problems.append("AUTH_JWKS_URI is required in production (development tokens are refused)")
        if not self.card_vault_key:
            problems.append("CARD_VAULT_KEY is required in production (a Key Vault reference)")
        if problems:
            raise ValueError("production settings refused: " + "; ".join(problems))
        return self


def env_names() -> set[str]:
    """The environment variable names the Settings class reads."""
    names: set[str] = set()
    for field in Settings.model_fields.values():
        alias = field.validation_alias
        assert isinstance(alias, AliasChoices)
        names.update(str(choice) for choice in alias.choices)
    return names


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Settings for this process, read once (app settings do not change without a restart)."""
    return Settings()


def reset_settings_cache() -> None:
    """For tests that change the environment."""
    get_settings.cache_clear()
