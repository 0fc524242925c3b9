"""Consumer dedupe (processed_once) and the adapter choice in shared.composition."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared import composition as bootstrap
from shared.adapters.folder_blobs import FolderBlobStore
from shared.adapters.local_publisher import LocalBusPublisher
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.http.health import run_checks
from shared.messaging.inbox import processed_once
from shared.ports.documents import DocumentNotFound, DocumentStore
from shared.settings import reset_settings_cache


def test_a_handler_runs_once_per_event(docs: DocumentStore) -> None:
    runs: list[str] = []
    for _ in range(3):
        with processed_once("event-1", "test.handler", store=docs) as first:
            if first:
                runs.append("event-1")
    with processed_once("event-1", "other.handler", store=docs) as first:
        assert first  # dedupe is per handler: every subscriber handles the event once
    assert runs == ["event-1"]


def test_a_failed_handler_runs_again_on_redelivery(docs: DocumentStore) -> None:
    attempts = 0
    for _ in range(2):
        try:
            with processed_once("event-2", "flaky.handler", store=docs) as first:
                if first:
                    attempts += 1
                    if attempts == 1:
                        raise RuntimeError("downstream failed")
        except RuntimeError:
            pass
    with processed_once("event-2", "flaky.handler", store=docs) as first:
        assert not first
    assert attempts == 2


def test_errors_inside_the_block_propagate_unchanged(docs: DocumentStore) -> None:
    # A DocumentNotFound from the handler's own reads is the handler's error, seen or not.
    with processed_once("event-3", "reader.handler", store=docs) as first:
        assert first
    for _ in range(2):
        with pytest.raises(DocumentNotFound), processed_once("event-3", "reader.handler", store=docs):
            docs.container("inbox", "/handler").read("no-such-marker", "reader.handler")
    with pytest.raises(DocumentNotFound), processed_once("event-4", "reader.handler", store=docs):
        docs.container("inbox", "/handler").read("no-such-marker", "reader.handler")
    with processed_once("event-4", "reader.handler", store=docs) as first:
        assert first  # the failed first run left no marker


@pytest.fixture
def embedded_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("SC_DATA_DIR", str(tmp_path))
    for name in ("SC_DOCUMENT_STORE", "SC_BLOB_STORE", "SC_EVENT_BUS", "SC_ENV"):
        monkeypatch.delenv(name, raising=False)
    reset_settings_cache()
    bootstrap.reset()
    yield tmp_path
    bootstrap.reset()
    reset_settings_cache()


def test_bootstrap_builds_embedded_adapters_once_and_registers_health(embedded_settings: Path) -> None:
    store = bootstrap.get_document_store()
    assert isinstance(store, SqliteDocumentStore)
    assert store.path == embedded_settings / "documents.db"
    assert bootstrap.get_document_store() is store
    assert isinstance(bootstrap.get_blob_store(), FolderBlobStore)
    publisher = bootstrap.get_publisher()
    assert isinstance(publisher, LocalBusPublisher)
    assert publisher.bus.path == embedded_settings / "bus.db"
    status, checks = run_checks()
    assert {"documents", "blobs", "events"} <= set(checks)
    assert all(checks[name]["status"] == "ok" for name in ("documents", "blobs", "events")), checks
    assert status in ("ok", "degraded")  # other contexts' checks may be registered too


def test_cosmos_without_an_endpoint_is_a_clear_error(
    embedded_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SC_DOCUMENT_STORE", "cosmos")
    monkeypatch.delenv("COSMOS__accountEndpoint", raising=False)
    reset_settings_cache()
    with pytest.raises(ValueError, match="COSMOS__accountEndpoint"):
        bootstrap.get_document_store()


def test_health_lists_every_port_before_any_is_used(embedded_settings: Path) -> None:
    bootstrap.register_health_checks()
    assert bootstrap.built() == frozenset()  # registering built nothing
    _, checks = run_checks()
    assert all(checks[name]["status"] == "ok" for name in ("documents", "blobs", "events")), checks


def test_health_reports_a_port_that_cannot_be_built(
    embedded_settings: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SC_DOCUMENT_STORE", "cosmos")
    monkeypatch.delenv("COSMOS__accountEndpoint", raising=False)
    reset_settings_cache()
    bootstrap.register_health_checks()
    status, checks = run_checks()
    assert status == "degraded"
    assert checks["documents"]["status"] == "error" and checks["documents"]["detail"] == "ValueError"
    assert checks["blobs"]["status"] == "ok"
