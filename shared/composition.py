"""The composition root: the ONLY module that builds adapters and services, once per process.

Triggers (`functions/`, `orchestrations/`), devhost and tools ask this module for what they need
(`get_document_store()`, `get_order_deps()`, ...) and pass it into the contexts; a context never
imports this module (an import-linter contract checks it) and never names an adapter. What may
live here: choosing an adapter from settings, constructing a service from its ports, and caching
both per process. What may not: business rules, HTTP handling, retries (docs/architecture.md).

SDK clients are expensive to build (connection pools, token caches), so each part is created on
first use and shared by every invocation of the worker process. Builders import their adapters
lazily so the embedded configuration never loads the Azure SDKs and `import function_app` stays
cheap (tests/unit/test_cold_start*).

Tests replace parts with `override(name=obj)` (`override(name=None)` removes one) and forget the
built ones with `reset()` after changing settings.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, TypeVar, cast

from shared.ports.blobs import BlobStore
from shared.ports.documents import DocumentStore
from shared.ports.messaging import MessagePublisher
from shared.settings import Settings, get_settings

if TYPE_CHECKING:
    from shared.fraud.ports import FraudScorer
    from shared.notifications.ports import NotificationChannel
    from shared.orders.deps import OrderDeps
    from shared.payments.service import PaymentService
    from shared.recommendations.service import RecsDeps
    from shared.search.service import SearchContext
    from shared.users.erasure import AccountDataEraser

T = TypeVar("T")

# The names `override()` accepts, one per part this root builds.
PARTS = (
    "document_store",
    "blob_store",
    "publisher",
    "payment_service",
    "fraud_scorer",
    "channels",
    "order_deps",
    "recs_deps",
    "search_context",
    "account_erasers",
)

_lock = threading.RLock()  # re-entrant: building order_deps builds the store, payments, scorer
_built: dict[str, Any] = {}
_overrides: dict[str, Any] = {}

_health_lock = threading.Lock()
_health_registered: set[str] = set()


# -- builders: settings (and ports) in, a new object out; no caching ---------------------------


def build_document_store(settings: Settings) -> DocumentStore:
    if settings.document_store == "cosmos":
        from shared.adapters.cosmos_documents import CosmosDocumentStore

        return CosmosDocumentStore.from_settings(settings)
    from shared.adapters.sqlite_documents import SqliteDocumentStore

    return SqliteDocumentStore(settings.data_path / "documents.db")


def build_blob_store(settings: Settings) -> BlobStore:
    if settings.blob_store == "azure":
        from shared.adapters.azure_blobs import AzureBlobStore

        return AzureBlobStore.from_settings(settings)
    from shared.adapters.folder_blobs import FolderBlobStore

    return FolderBlobStore(settings.data_path / "blobs")


def build_publisher(settings: Settings) -> MessagePublisher:
    if settings.event_bus == "servicebus":
        from shared.adapters.servicebus_publisher import ServiceBusPublisher

        return ServiceBusPublisher.from_settings(settings)
    from shared.adapters.local_publisher import LocalBusPublisher
    from shared.adapters.localbus import LocalBus

    return LocalBusPublisher(LocalBus(settings.data_path / "bus.db"))


PRIMARY_PROVIDER = "sandbox"
FALLBACK_PROVIDER = "sandbox-fallback"


def build_payment_service(
    store: DocumentStore, settings: Settings, *, backoff_seconds: float = 0.05
) -> PaymentService:
    """The payments context over `store`: ledger, card vault and the routed sandbox providers."""
    from shared.payments.ledger import PaymentLedger, payments_container
    from shared.payments.routing import PaymentRouter
    from shared.payments.sandbox import PROCESSING_ERROR_CARD, SandboxProvider, sandbox_container
    from shared.payments.service import PaymentService
    from shared.payments.vault import CardVault

    ledger = sandbox_container(store)
    providers = [
        SandboxProvider(PRIMARY_PROVIDER, ledger, transient_cards=frozenset({PROCESSING_ERROR_CARD})),
        SandboxProvider(FALLBACK_PROVIDER, ledger),
    ]
    return PaymentService(
        ledger=PaymentLedger(payments_container(store)),
        vault=CardVault.from_store(store, settings),
        router=PaymentRouter(providers, attempts=3, backoff_seconds=backoff_seconds),
    )


def build_fraud_scorer(blob_store: BlobStore, settings: Settings) -> FraudScorer:
    """The model+rules scorer over the model registry in `blob_store` (rules alone until a model is live)."""
    from models.fraud_features import MODEL_NAME
    from models.registry import CONTAINER, ModelRegistry
    from models.runtime import ModelRuntime
    from shared.fraud.ports import Thresholds
    from shared.fraud.scorer import ModelFraudScorer

    registry = ModelRegistry(blob_store.container(CONTAINER))
    runtime = ModelRuntime(registry, MODEL_NAME, refresh_seconds=settings.model_refresh_seconds)
    thresholds = Thresholds(review=settings.fraud_review_threshold, reject=settings.fraud_reject_threshold)
    return ModelFraudScorer(runtime, thresholds)


def build_channels(settings: Settings) -> dict[str, NotificationChannel]:
    """The notification channels that are on; a channel set to "off" is absent, and notify() skips it."""
    from shared.notifications.channels.http_provider import (
        AcsEmailChannel,
        AcsSmsChannel,
        WebhookPushChannel,
    )
    from shared.notifications.channels.sink import LocalSinkChannel
    from shared.notifications.channels.smtp import SmtpEmailChannel

    sink_dir = settings.data_path / "notifications"
    email: NotificationChannel
    if settings.notify_email_channel == "smtp":
        email = SmtpEmailChannel(
            host=settings.smtp_host,
            port=settings.smtp_port,
            sender=settings.smtp_from,
            username=settings.smtp_username,
            password=settings.smtp_password,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
        )
    elif settings.notify_email_channel == "acs":
        email = AcsEmailChannel(settings.acs_endpoint, settings.acs_email_sender)
    else:
        email = LocalSinkChannel("email", sink_dir)
    sms: NotificationChannel = (
        AcsSmsChannel(settings.acs_endpoint, settings.acs_sms_from)
        if settings.notify_sms_channel == "acs"
        else LocalSinkChannel("sms", sink_dir)
    )
    push: NotificationChannel = (
        WebhookPushChannel(settings.push_webhook_url)
        if settings.notify_push_channel == "webhook"
        else LocalSinkChannel("push", sink_dir)
    )
    chosen = {
        "email": settings.notify_email_channel,
        "sms": settings.notify_sms_channel,
        "push": settings.notify_push_channel,
    }
    built = {"email": email, "sms": sms, "push": push}
    return {name: channel for name, channel in built.items() if chosen[name] != "off"}


def build_order_deps(
    settings: Settings,
    *,
    store: DocumentStore,
    payments: PaymentService,
    scorer: FraudScorer,
    publisher: MessagePublisher,
) -> OrderDeps:
    """What the order service and the workflow's activities work with."""
    from shared.orders.deps import OrderDeps
    from shared.orders.stream import OrderStream

    return OrderDeps(
        store=store,
        stream=OrderStream(store),
        payments=payments,
        scorer=scorer,
        publisher=publisher,
        review_timeout_seconds=settings.order_review_timeout_seconds,
        # Short: a reservation whose workflow died must not hold stock for long. An order sent to
        # review has its reservation extended for the wait (steps.extend_for_review).
        reservation_ttl_seconds=settings.inventory_reservation_ttl_seconds,
    )


def build_recs_deps(settings: Settings, *, store: DocumentStore, blobs: BlobStore) -> RecsDeps:
    """The recommendations context: catalog snapshot, history, experiments, champion model."""
    from models.registry import CONTAINER, ModelRegistry
    from shared.recommendations.catalog_view import StoreCatalogView
    from shared.recommendations.experiments import Experiments
    from shared.recommendations.interactions import InteractionStore
    from shared.recommendations.popularity import PopularityFallback
    from shared.recommendations.scorer_source import ChampionScorerSource
    from shared.recommendations.service import RecsDeps

    # Read through get_settings() each time so a test that changes settings sees it.
    interactions = InteractionStore(store, cache_seconds=lambda: get_settings().recs_history_cache_seconds)
    return RecsDeps(
        catalog=StoreCatalogView(store, refresh_seconds=lambda: get_settings().recs_catalog_refresh_seconds),
        interactions=interactions,
        experiments=Experiments(store, cache_seconds=lambda: get_settings().recs_experiment_cache_seconds),
        scorers=ChampionScorerSource(
            ModelRegistry(blobs.container(CONTAINER)), refresh_seconds=settings.model_refresh_seconds
        ),
        popularity=PopularityFallback(interactions, half_life_days=settings.recs_half_life_days),
        half_life_days=settings.recs_half_life_days,
    )


# -- the process-wide parts ---------------------------------------------------------------------


def _part(name: str, build: Callable[[], T]) -> T:
    with _lock:
        if name in _overrides:
            return cast(T, _overrides[name])
        if name not in _built:
            _built[name] = build()
        return cast(T, _built[name])


def _port(part: str, check: str, build: Callable[[Settings], T]) -> T:
    """A port's adapter, built on first use; its health check joins /api/health as `check`."""

    def make() -> T:
        port = build(get_settings())
        _register_health(check, cast(Any, port).health)
        return port

    return _part(part, make)


def get_document_store() -> DocumentStore:
    return _port("document_store", "documents", build_document_store)


def get_blob_store() -> BlobStore:
    return _port("blob_store", "blobs", build_blob_store)


def get_publisher() -> MessagePublisher:
    return _port("publisher", "events", build_publisher)


def get_payment_service() -> PaymentService:
    return _part("payment_service", lambda: build_payment_service(get_document_store(), get_settings()))


def get_fraud_scorer() -> FraudScorer:
    """The process-wide scorer (created on first use: model sessions load once per process)."""
    return _part("fraud_scorer", lambda: build_fraud_scorer(get_blob_store(), get_settings()))


def get_channels() -> Mapping[str, NotificationChannel]:
    return _part("channels", lambda: build_channels(get_settings()))


def build_search_context(
    settings: Settings, *, store: DocumentStore, blobs: BlobStore, publisher: MessagePublisher
) -> SearchContext:
    """The search context over the embedded engine (an Azure AI Search adapter would go here)."""
    from shared.search.service import default_context

    return default_context(store, blobs, publisher, settings.search_sync_seconds)


def get_search_context() -> SearchContext:
    """Built on the first search or event: the index, model and analytics log load then."""
    return _part(
        "search_context",
        lambda: build_search_context(
            get_settings(), store=get_document_store(), blobs=get_blob_store(), publisher=get_publisher()
        ),
    )


def get_order_deps() -> OrderDeps:
    return _part(
        "order_deps",
        lambda: build_order_deps(
            get_settings(),
            store=get_document_store(),
            payments=get_payment_service(),
            scorer=get_fraud_scorer(),
            publisher=get_publisher(),
        ),
    )


def get_recs_deps() -> RecsDeps:
    return _part(
        "recs_deps",
        lambda: build_recs_deps(get_settings(), store=get_document_store(), blobs=get_blob_store()),
    )


def build_account_erasers(*, recs_deps: Callable[[], RecsDeps]) -> Mapping[str, AccountDataEraser]:
    """Who erases what on `DELETE /api/me` (shared/users/erasure.py), besides the profile: every
    context that keeps personal data registers its eraser here. Orders and payments are not here on
    purpose: they are financial records and are kept (docs/contexts.md, "Account deletion")."""
    from shared.recommendations.service import HistoryEraser

    return {"recommendations": HistoryEraser(recs_deps)}


def get_account_erasers() -> Mapping[str, AccountDataEraser]:
    return _part("account_erasers", lambda: build_account_erasers(recs_deps=get_recs_deps))


def relay_once() -> int:
    """The devhost service entry point and the outbox timer's body: one relay round."""
    from shared.messaging.relay import OutboxRelay

    return OutboxRelay(get_document_store(), get_publisher()).run_once()


def override(**parts: Any) -> None:
    """Install replacements (tests, devhost wiring): `override(order_deps=deps, fraud_scorer=s)`.
    A value of None removes that part's override; the settings-built part is used again."""
    unknown = set(parts) - set(PARTS)
    if unknown:
        raise TypeError(f"unknown part(s) {sorted(unknown)}; known: {', '.join(PARTS)}")
    with _lock:
        for name, value in parts.items():
            if value is None:
                _overrides.pop(name, None)
            else:
                _overrides[name] = value


def built() -> frozenset[str]:
    """The names of the parts built so far in this process (tests: what a call did not build)."""
    with _lock:
        return frozenset(_built)


def reset() -> None:
    """For tests that change settings: forget every built part (overrides stay until removed)."""
    with _lock:
        _built.clear()
    with _health_lock:
        if _health_registered:
            from shared.http.health import unregister_check

            for name in _health_registered:
                unregister_check(name)
        _health_registered.clear()


# -- /api/health ----------------------------------------------------------------------------------


def _register_health(name: str, check: object) -> None:
    """Register with /api/health once per port."""
    with _health_lock:
        if name in _health_registered:
            return
        from shared.http.health import register_check

        register_check(name, check)  # type: ignore[arg-type]
        _health_registered.add(name)


_PORTS: dict[str, Callable[[], DocumentStore | BlobStore | MessagePublisher]] = {
    "documents": get_document_store,
    "blobs": get_blob_store,
    "events": get_publisher,
}


def _port_check(name: str) -> Callable[[], object]:
    def check() -> object:
        # Looked up by name at run time, so `reset()` (tests) and the getters' caches apply.
        port: DocumentStore | BlobStore | MessagePublisher = _PORTS[name]()
        return port.health()

    return check


def register_health_checks() -> None:
    """List every port in /api/health from the first request without building any adapter now
    (functions/ops.py calls this at import; cold start stays cheap). Each check builds its port
    on first run, so a port that cannot even be built (a missing endpoint setting, say) shows up
    as failing, with its error type, instead of being absent from the report."""
    from shared.http.health import register_check

    for name in _PORTS:
        with _health_lock:
            if name in _health_registered:
                continue  # the port is built and its own check is in place
        register_check(name, _port_check(name))
