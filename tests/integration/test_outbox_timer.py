"""The Azure-side relay (functions/outbox.py) end to end on the Cosmos stand-in: a unit of work
committed to Cosmos is published by the timer's relay to the bus, through shared.composition."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from functions.outbox import run_relay
from shared import composition as bootstrap
from shared.adapters.cosmos_documents import CosmosDocumentStore
from shared.adapters.local_publisher import LocalBusPublisher
from shared.adapters.localbus_topology import EntitySpec
from shared.messaging import outbox
from shared.messaging.events import CloudEvent, PlatformPinged, new_event
from shared.messaging.outbox import UnitOfWork, register_outbox
from shared.settings import reset_settings_cache


@pytest.fixture
def cosmos_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cosmos_store: CosmosDocumentStore
) -> Iterator[Path]:
    # `cosmos_store` only proves the stand-in is there (or fails/skips with the reason).
    monkeypatch.setenv("SC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SC_DOCUMENT_STORE", "cosmos")
    monkeypatch.setenv("SC_EVENT_BUS", "local")
    monkeypatch.setenv("COSMOS__accountEndpoint", os.environ["SC_TEST_COSMOS_ENDPOINT"])
    monkeypatch.setenv("COSMOS_KEY", os.environ["SC_TEST_COSMOS_KEY"])
    monkeypatch.setenv("COSMOS_VERIFY_TLS", "false")
    monkeypatch.setenv("COSMOS_DATABASE", f"timer-{uuid.uuid4().hex[:8]}")
    monkeypatch.setattr(outbox, "_containers", {})
    reset_settings_cache()
    bootstrap.reset()
    yield tmp_path
    bootstrap.reset()
    reset_settings_cache()


def test_timer_relay_publishes_cosmos_outbox_entries(cosmos_settings: Path) -> None:
    register_outbox("pings", "/subject")
    store = bootstrap.get_document_store()
    assert isinstance(store, CosmosDocumentStore)
    pings = store.container("pings", "/subject")
    event = new_event(PlatformPinged(requested_by="timer-test"), subject="s1")
    UnitOfWork(pings, "s1").create({"id": "s1", "subject": "s1"}).emit(event).commit()

    publisher = bootstrap.get_publisher()
    assert isinstance(publisher, LocalBusPublisher)
    publisher.bus.ensure_entity(EntitySpec(publisher.bus.topology.topic, "timer-test"))
    assert run_relay() == 1
    leased = publisher.bus.receive(publisher.bus.topology.topic, "timer-test", max_count=10)
    assert [CloudEvent.from_message(m.message).id for m in leased] == [event.id]
    assert run_relay() == 0


def test_timer_stands_aside_for_the_embedded_store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("SC_DOCUMENT_STORE", "sqlite")
    reset_settings_cache()
    try:
        assert run_relay() == 0
    finally:
        reset_settings_cache()
