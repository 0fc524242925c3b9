"""Picks the adapter behind each port from settings, once per process.

Functions and services call `get_document_store()`, `get_blob_store()`, `get_publisher()` and
never name an adapter. SDK clients are expensive to build (connection pools, token caches), so
each is created on first use and shared by every invocation of the worker process; the Azure
adapters are imported lazily so the embedded configuration never loads their SDKs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import lru_cache

from shared.ports.blobs import BlobStore
from shared.ports.documents import DocumentStore
from shared.ports.messaging import MessagePublisher
from shared.settings import Settings, get_settings

_health_lock = threading.Lock()
_health_registered: set[str] = set()


def _register_health(name: str, check: object) -> None:
    """Register with /api/health once per port (tolerates shared.http.health not being there)."""
    with _health_lock:
        if name in _health_registered:
            return
        try:
            from shared.http.health import register_check
        except ImportError:  # pragma: no cover - the edge module is always present in the app
            return
        register_check(name, check)  # type: ignore[arg-type]
        _health_registered.add(name)


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


@lru_cache(maxsize=1)
def get_document_store() -> DocumentStore:
    store = build_document_store(get_settings())
    _register_health("documents", store.health)
    return store


@lru_cache(maxsize=1)
def get_blob_store() -> BlobStore:
    store = build_blob_store(get_settings())
    _register_health("blobs", store.health)
    return store


@lru_cache(maxsize=1)
def get_publisher() -> MessagePublisher:
    publisher = build_publisher(get_settings())
    _register_health("events", publisher.health)
    return publisher


def _port_check(name: str) -> Callable[[], object]:
    def check() -> object:
        # Looked up by name at run time, so `reset()` (tests) and the getters' caches apply.
        port: DocumentStore | BlobStore | MessagePublisher = _PORTS[name]()
        return port.health()

    return check


_PORTS: dict[str, Callable[[], DocumentStore | BlobStore | MessagePublisher]] = {
    "documents": get_document_store,
    "blobs": get_blob_store,
    "events": get_publisher,
}


def register_health_checks() -> None:
    """List every port in /api/health from the first request without building any adapter now
    (functions/ops.py calls this at import; cold start stays cheap). Each check builds its port
    on first run, so a port that cannot even be built (a missing endpoint setting, say) shows up
    as failing, with its error type, instead of being absent from the report."""
    for name in _PORTS:
        with _health_lock:
            if name in _health_registered:
                continue  # the port is built and its own check is in place
        from shared.http.health import register_check

        register_check(name, _port_check(name))


def reset() -> None:
    """For tests that change settings: forget the cached adapters."""
    for getter in (get_document_store, get_blob_store, get_publisher):
        getter.cache_clear()
    with _health_lock:
        if _health_registered:
            from shared.http.health import unregister_check

            for name in _health_registered:
                unregister_check(name)
        _health_registered.clear()
