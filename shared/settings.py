"""Every setting the code reads, in one place.

Azure Functions passes app settings (and resolved Key Vault references) as environment variables,
and devhost does the same with `local.settings.json`, so one pydantic-settings class reading the
environment serves both. Each field's alias is the exact environment variable name; the test
`tests/unit/test_settings.py` keeps `local.settings.sample.json` listing exactly these names.

To add a setting: add a field here (alias = env name), add it to `local.settings.sample.json` with a
safe local value, and to the app settings in `infra/`.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.messaging.topology import EVENTS_TOPIC

Environment = Literal["development", "production"]
KEY_VAULT_REFERENCE = "@Microsoft.KeyVault("


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
    # How long an instance may keep using a user's stored roles before reading them again: the bound
    # on how soon `PUT /users/{id}/roles` takes effect on other instances (the instance that served
    # the PUT applies it at once). 0 reads the profile on every request (docs/security.md).
    auth_roles_cache_seconds: float = Field(
        30.0, ge=0, le=60, validation_alias=_env("AUTH_ROLES_CACHE_SECONDS")
    )
    dev_token_ttl_seconds: int = Field(3600, ge=60, validation_alias=_env("SC_DEV_TOKEN_TTL_SECONDS"))

    # --- Cosmos DB ------------------------------------------------------------------------------
    cosmos_endpoint: str = Field("", validation_alias=_env("COSMOS__accountEndpoint"))
    cosmos_database: str = Field("smartcommerce", validation_alias=_env("COSMOS_DATABASE"))
    # Development only (emulator / cosmosdb-server): Azure uses the managed identity.
    cosmos_key: str = Field("", validation_alias=_env("COSMOS_KEY"))
    cosmos_verify_tls: bool = Field(True, validation_alias=_env("COSMOS_VERIFY_TLS"))
    # Every Cosmos call (its retries and throttling waits included) gives up after this long, far
    # below the Functions invocation timeout (host.json functionTimeout, 10 min; HTTP: 230 s).
    cosmos_timeout_seconds: float = Field(10.0, gt=0, le=120, validation_alias=_env("COSMOS_TIMEOUT_SECONDS"))
    # 429 retries inside one call (the SDK's defaults are 9 and 30 s): a short wait, then StoreBusy.
    cosmos_throttle_retries: int = Field(3, ge=0, le=9, validation_alias=_env("COSMOS_THROTTLE_RETRIES"))
    cosmos_throttle_wait_seconds: int = Field(
        5, ge=1, le=30, validation_alias=_env("COSMOS_THROTTLE_WAIT_SECONDS")
    )

    # --- Service Bus ----------------------------------------------------------------------------
    servicebus_namespace: str = Field("", validation_alias=_env("SERVICEBUS__fullyQualifiedNamespace"))
    servicebus_topic: str = Field(EVENTS_TOPIC, validation_alias=_env("SERVICEBUS_TOPIC"))
    # Development only (`func start` against the Service Bus emulator): a connection string under
    # the triggers' own connection name, so triggers and publisher share it. Azure: the identity.
    servicebus_connection_string: str = Field("", validation_alias=_env("SERVICEBUS"))

    # --- Blob Storage ---------------------------------------------------------------------------
    blob_service_uri: str = Field("", validation_alias=_env("STORAGE__blobServiceUri"))
    # Development only (Azurite): Azure uses the managed identity.
    blob_connection_string: str = Field("", validation_alias=_env("STORAGE_CONNECTION_STRING"))

    # --- payments -------------------------------------------------------------------------------
    # Base64 AES-256 key for the card vault; a Key Vault reference in Azure. Empty in development:
    # devhost creates one in the data dir.
    card_vault_key: str = Field("", validation_alias=_env("CARD_VAULT_KEY"))

    # --- orders -----------------------------------------------------------------------------------
    # How long an order flagged for review waits for a person before it is rejected (24 h).
    order_review_timeout_seconds: int = Field(
        86400, ge=1, le=30 * 24 * 3600, validation_alias=_env("ORDER_REVIEW_TIMEOUT_SECONDS")
    )
    # How long an order may stay `pending` with no workflow before the recovery sweep starts one
    # (its POST died between recording the order and starting the workflow). Longer than a POST.
    order_recovery_grace_seconds: int = Field(
        60, ge=1, le=24 * 3600, validation_alias=_env("ORDER_RECOVERY_GRACE_SECONDS")
    )
    # When that sweep runs (6-field NCRONTAB, seconds first): the timer trigger's schedule is
    # `%ORDER_RECOVERY_SCHEDULE%`, resolved by the host; tests run it every few seconds.
    order_recovery_schedule: str = Field(
        "0 * * * * *", pattern=r"^\S+( \S+){5}$", validation_alias=_env("ORDER_RECOVERY_SCHEDULE")
    )

    # --- outbox relay (Azure: a timer; devhost relays in-host every second) -----------------------
    # `%OUTBOX_RELAY_SCHEDULE%` of functions/outbox.py, 6-field NCRONTAB; docs/storage.md has the cost.
    outbox_relay_schedule: str = Field(
        "*/5 * * * * *", pattern=r"^\S+( \S+){5}$", validation_alias=_env("OUTBOX_RELAY_SCHEDULE")
    )

    # --- browser clients --------------------------------------------------------------------------
    # Comma-separated origins allowed to call the API from a browser (devhost answers CORS and
    # preflights with them; in Azure the platform and API Management do, from the same Bicep list).
    cors_allowed_origins: str = Field("", validation_alias=_env("CORS_ALLOWED_ORIGINS"))

    # --- fraud scoring and models --------------------------------------------------------------
    # Fixed cut-offs: used by the rules-only scorer and by a model version that stored none.
    # Score >= review threshold -> "review"; >= reject threshold -> "reject" (0..1, calibrated).
    fraud_review_threshold: float = Field(
        0.5, ge=0.0, le=1.0, validation_alias=_env("FRAUD_REVIEW_THRESHOLD")
    )
    fraud_reject_threshold: float = Field(
        0.9, ge=0.0, le=1.0, validation_alias=_env("FRAUD_REJECT_THRESHOLD")
    )
    # The budget each fraud model version's own cut-offs are chosen from at training time
    # (models/thresholds.py; stored with the version, shown by GET /api/models):
    # review: at most this share of legitimate orders goes to a person ...
    fraud_review_fpr: float = Field(0.02, ge=0.0, le=1.0, validation_alias=_env("FRAUD_REVIEW_FPR"))
    # ... and at most this share of all orders (the team's review capacity; 0 = no limit);
    fraud_review_capacity: float = Field(0.0, ge=0.0, le=1.0, validation_alias=_env("FRAUD_REVIEW_CAPACITY"))
    # reject: at most this share of legitimate orders is refused outright.
    fraud_reject_fpr: float = Field(0.002, ge=0.0, le=1.0, validation_alias=_env("FRAUD_REJECT_FPR"))
    # How often a process re-checks a model's champion pointer (ETag) for a newly promoted version.
    model_refresh_seconds: float = Field(
        30.0, ge=0.0, le=3600.0, validation_alias=_env("MODEL_REFRESH_SECONDS")
    )

    # --- catalog, inventory ----------------------------------------------------------------------
    # Product reads are cached per instance this long; an instance's own writes invalidate at once.
    catalog_cache_ttl_seconds: float = Field(
        5.0, ge=0, le=300, validation_alias=_env("CATALOG_CACHE_TTL_SECONDS")
    )
    # A product listing page with its stock (availability) is reused this long: stock moves without
    # catalog events, so this is the staleness a listing's `available` may show (0: always fresh).
    catalog_listing_stock_ttl_seconds: float = Field(
        1.0, ge=0, le=60, validation_alias=_env("CATALOG_LISTING_STOCK_TTL_SECONDS")
    )
    # A reservation whose order workflow died is released by the sweep after this long.
    inventory_reservation_ttl_seconds: int = Field(
        900, ge=1, le=7 * 24 * 3600, validation_alias=_env("INVENTORY_RESERVATION_TTL_SECONDS")
    )
    # Default per-sku StockLow threshold for new skus (each sku can change its own).
    inventory_low_stock_threshold: int = Field(
        5, ge=0, validation_alias=_env("INVENTORY_LOW_STOCK_THRESHOLD")
    )

    # --- pricing and inventory analytics (issue 15; docs/pricing-inventory.md) -----------------------
    # Guardrails of every price recommendation: minimum margin over unit cost ((price - cost) /
    # price) and the largest change of one step, as shares of the current price.
    pricing_min_margin: float = Field(0.10, ge=0.0, lt=1.0, validation_alias=_env("PRICING_MIN_MARGIN"))
    pricing_max_step: float = Field(0.10, gt=0.0, le=1.0, validation_alias=_env("PRICING_MAX_STEP"))
    # A nightly proposal changing the price by more than this share waits for an admin's approval;
    # smaller ones are applied at once (still recorded as proposals).
    pricing_approval_threshold: float = Field(
        0.05, ge=0.0, le=1.0, validation_alias=_env("PRICING_APPROVAL_THRESHOLD")
    )
    # How long a proposal waits for that approval; then it expires and the price stays (72 h).
    pricing_approval_timeout_seconds: int = Field(
        72 * 3600, ge=1, le=30 * 24 * 3600, validation_alias=_env("PRICING_APPROVAL_TIMEOUT_SECONDS")
    )
    # `%PRICING_PROPOSAL_SCHEDULE%` of functions/pricing.py (6-field NCRONTAB): nightly proposals.
    pricing_proposal_schedule: str = Field(
        "0 0 3 * * *", pattern=r"^\S+( \S+){5}$", validation_alias=_env("PRICING_PROPOSAL_SCHEDULE")
    )
    # `%INVENTORY_FORECAST_SCHEDULE%` of functions/inventory_analytics.py: the daily forecast and
    # reorder refresh (an orchestration; statsforecast loads in its activities only).
    inventory_forecast_schedule: str = Field(
        "0 0 4 * * *", pattern=r"^\S+( \S+){5}$", validation_alias=_env("INVENTORY_FORECAST_SCHEDULE")
    )
    inventory_forecast_horizon_days: int = Field(
        28, ge=7, le=365, validation_alias=_env("INVENTORY_FORECAST_HORIZON_DAYS")
    )
    # "fast": seasonal naive, ETS and Theta (about 3x faster); "full": AutoARIMA and the combo too.
    inventory_forecast_methods: Literal["fast", "full"] = Field(
        "fast", validation_alias=_env("INVENTORY_FORECAST_METHODS")
    )
    # Defaults for skus without their own (PUT /api/pricing/skus/{sku}): supplier lead time in days
    # and the cycle service level the safety stock is sized for.
    inventory_lead_time_days: float = Field(
        7.0, ge=0.0, le=365.0, validation_alias=_env("INVENTORY_LEAD_TIME_DAYS")
    )
    inventory_service_level: float = Field(
        0.95, gt=0.5, lt=1.0, validation_alias=_env("INVENTORY_SERVICE_LEVEL")
    )
    # --- recommendations --------------------------------------------------------------------------
    # The catalog/stock snapshot recommendations filter against (archived, out of stock) is
    # rebuilt this often; a user's history is cached this long (own writes invalidate at once).
    recs_catalog_refresh_seconds: float = Field(
        5.0, ge=0, le=300, validation_alias=_env("RECS_CATALOG_REFRESH_SECONDS")
    )
    recs_history_cache_seconds: float = Field(
        1.0, ge=0, le=60, validation_alias=_env("RECS_HISTORY_CACHE_SECONDS")
    )
    recs_experiment_cache_seconds: float = Field(
        5.0, ge=0, le=300, validation_alias=_env("RECS_EXPERIMENT_CACHE_SECONDS")
    )
    # Half-life of an interaction's implicit-feedback weight.
    recs_half_life_days: float = Field(30.0, gt=0, le=3650, validation_alias=_env("RECS_HALF_LIFE_DAYS"))
    # --- search -----------------------------------------------------------------------------------
    # How often a worker's index catches up on the change log before a search (docs/search.md):
    # the bound on how stale a worker that did not handle the event itself can be.
    search_sync_seconds: float = Field(1.0, ge=0.0, le=300.0, validation_alias=_env("SEARCH_SYNC_SECONDS"))

    # --- notifications ----------------------------------------------------------------------------
    # Which adapter sends each channel: "sink" records what would be sent in the data dir (devhost);
    # "off" (the default) sends nothing on that channel, so an unconfigured channel is skipped
    # rather than failing at its first send. Production refuses a chosen channel whose settings
    # are missing (see _refuse_development_settings_in_production).
    notify_email_channel: Literal["off", "smtp", "acs", "sink"] = Field(
        "off", validation_alias=_env("NOTIFY_EMAIL_CHANNEL")
    )
    notify_sms_channel: Literal["off", "sink", "acs"] = Field(
        "off", validation_alias=_env("NOTIFY_SMS_CHANNEL")
    )
    notify_push_channel: Literal["off", "sink", "webhook"] = Field(
        "off", validation_alias=_env("NOTIFY_PUSH_CHANNEL")
    )
    smtp_host: str = Field("127.0.0.1", validation_alias=_env("SMTP_HOST"))
    smtp_port: int = Field(1025, ge=1, le=65535, validation_alias=_env("SMTP_PORT"))
    smtp_from: str = Field("SmartCommerce <no-reply@smartcommerce.local>", validation_alias=_env("SMTP_FROM"))
    smtp_username: str = Field("", validation_alias=_env("SMTP_USERNAME"))
    smtp_password: str = Field("", validation_alias=_env("SMTP_PASSWORD"))  # a Key Vault reference in Azure
    smtp_starttls: bool = Field(False, validation_alias=_env("SMTP_STARTTLS"))
    smtp_timeout_seconds: float = Field(10.0, gt=0, le=120, validation_alias=_env("SMTP_TIMEOUT_SECONDS"))
    # Azure Communication Services (email and SMS), reached with the managed identity.
    acs_endpoint: str = Field("", validation_alias=_env("ACS_ENDPOINT"))
    acs_email_sender: str = Field("", validation_alias=_env("ACS_EMAIL_SENDER"))
    acs_sms_from: str = Field("", validation_alias=_env("ACS_SMS_FROM"))
    push_webhook_url: str = Field("", validation_alias=_env("PUSH_WEBHOOK_URL"))
    # Transient channel failures are retried in the handler with exponential backoff, then `failed`.
    notify_max_attempts: int = Field(4, ge=1, le=10, validation_alias=_env("NOTIFY_MAX_ATTEMPTS"))
    notify_retry_base_seconds: float = Field(
        1.0, ge=0, le=60, validation_alias=_env("NOTIFY_RETRY_BASE_SECONDS")
    )
    notify_default_locale: str = Field("en", validation_alias=_env("NOTIFY_DEFAULT_LOCALE"))

    # --- observability --------------------------------------------------------------------------
    appinsights_connection_string: str = Field(
        "", validation_alias=_env("APPLICATIONINSIGHTS_CONNECTION_STRING")
    )
    trace_console: bool = Field(False, validation_alias=_env("SC_TRACE_CONSOLE"))

    @property
    def is_development(self) -> bool:
        return self.environment == "development"

    @property
    def data_path(self) -> Path:
        return Path(self.data_dir)

    @property
    def cors_origins(self) -> frozenset[str]:
        return frozenset(o.strip().rstrip("/") for o in self.cors_allowed_origins.split(",") if o.strip())

    @model_validator(mode="after")
    def _refuse_unresolved_key_vault_references(self) -> Settings:
        # Azure resolves `@Microsoft.KeyVault(...)` app settings when the app starts; one it could
        # not resolve (no role on the vault yet, a wrong secret name) reaches the code as the
        # literal text, which would be used as a key or password. Any environment.
        unresolved = sorted(
            str(field.validation_alias.choices[0])  # type: ignore[union-attr]
            for name, field in type(self).model_fields.items()
            if str(getattr(self, name)).lstrip().startswith(KEY_VAULT_REFERENCE)
        )
        if unresolved:
            raise ValueError(
                "unresolved Key Vault references (the app identity cannot read the secret, or the "
                "reference is wrong; the portal shows its status): " + ", ".join(unresolved)
            )
        return self

    @model_validator(mode="after")
    def _refuse_development_settings_in_production(self) -> Settings:
        if self.environment != "production":
            # The platform sets WEBSITE_INSTANCE_ID on every Azure Functions worker: an app that
            # forgot SC_ENV there must not fall back to development (dev tokens, embedded stores).
            if os.environ.get("WEBSITE_INSTANCE_ID"):
                raise ValueError("SC_ENV=development is refused on Azure (WEBSITE_INSTANCE_ID is set)")
            return self
        problems: list[str] = []
        if self.cosmos_key:
            problems.append("COSMOS_KEY is development-only (use the managed identity)")
        if not self.cosmos_verify_tls:
            problems.append("COSMOS_VERIFY_TLS=false is development-only")
        if self.servicebus_connection_string:
            problems.append("SERVICEBUS (a connection string) is development-only (use the managed identity)")
        if self.blob_connection_string:
            problems.append("STORAGE_CONNECTION_STRING is development-only (use the managed identity)")
        if self.document_store != "cosmos" or self.blob_store != "azure" or self.event_bus != "servicebus":
            problems.append("embedded adapters (sqlite/folder/local) are development-only")
        if not self.auth_jwks_uri:
            problems.append("AUTH_JWKS_URI is required in production (development tokens are refused)")
        if not self.card_vault_key:
            problems.append("CARD_VAULT_KEY is required in production (a Key Vault reference)")
        problems += self._unconfigured_channels()
        if problems:
            raise ValueError("production settings refused: " + "; ".join(problems))
        return self

    def _unconfigured_channels(self) -> list[str]:
        """Channels chosen in production without what they need to send (say "off" instead)."""
        needs = {
            ("NOTIFY_EMAIL_CHANNEL", "smtp"): {"SMTP_HOST": self.smtp_host},
            ("NOTIFY_EMAIL_CHANNEL", "acs"): {
                "ACS_ENDPOINT": self.acs_endpoint,
                "ACS_EMAIL_SENDER": self.acs_email_sender,
            },
            ("NOTIFY_SMS_CHANNEL", "acs"): {
                "ACS_ENDPOINT": self.acs_endpoint,
                "ACS_SMS_FROM": self.acs_sms_from,
            },
            ("NOTIFY_PUSH_CHANNEL", "webhook"): {"PUSH_WEBHOOK_URL": self.push_webhook_url},
        }
        chosen = {
            "NOTIFY_EMAIL_CHANNEL": self.notify_email_channel,
            "NOTIFY_SMS_CHANNEL": self.notify_sms_channel,
            "NOTIFY_PUSH_CHANNEL": self.notify_push_channel,
        }
        problems = [
            f"{name}=sink is development-only (it writes to the instance's disk; use off)"
            for name, value in chosen.items()
            if value == "sink"
        ]
        for (name, value), required in needs.items():
            missing = [setting for setting, given in required.items() if chosen[name] == value and not given]
            if missing:
                problems.append(f"{name}={value} needs {', '.join(missing)} (or set it to off)")
        return problems


def refuse_bad_settings_at_start() -> None:
    """Read and validate the settings once, uncached, when the app is imported (function_app.py).

    An error here fails the worker's indexing: Azure shows it and loads no function, instead of
    the app answering 500s from its first request (a refused production setting, a Key Vault
    reference left unresolved)."""
    Settings()


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
