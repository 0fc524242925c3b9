"""Forecast documents: container `forecasts`, partition `/sku`, one document per sku (id
`forecast`), whose alert events go through the outbox in the same batch as the document."""

from __future__ import annotations

from typing import Any

from shared.messaging.outbox import NOT_OUTBOX, register_outbox
from shared.ports.documents import Container, Document, DocumentNotFound, DocumentStore, Filter, Query

CONTAINER = "forecasts"
PARTITION_KEY = "/sku"
DOC_ID = "forecast"
register_outbox(CONTAINER, PARTITION_KEY)


def container(store: DocumentStore) -> Container:
    return store.container(CONTAINER, PARTITION_KEY)


def get_forecast(store: DocumentStore, sku: str) -> Document | None:
    try:
        return container(store).read(DOC_ID, sku)
    except DocumentNotFound:
        return None


def all_forecasts(store: DocumentStore) -> list[dict[str, Any]]:
    query = Query(where=(Filter("docType", "=", "forecast"), NOT_OUTBOX))
    return container(store).query_all(query)
