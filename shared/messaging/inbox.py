"""Consumer-side dedupe: delivery is at least once, so handlers skip events they already handled.

    with processed_once(event.id, "notifications.on_order_confirmed", store=store) as first:
        if first:
            send_confirmation(...)

The marker (`inbox` container, partition = handler name, id = event id) is written only when the
block exits without an exception, so a handler that crashes half way runs again on redelivery;
a handler whose side effect must not repeat makes that effect idempotent itself (e.g. keyed by
the event id). Two concurrent deliveries of one event may both run: rare, and the same rule holds.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime

from shared.ports.documents import DocumentExists, DocumentNotFound, DocumentStore

INBOX_CONTAINER = "inbox"
INBOX_PARTITION_KEY = "/handler"
# Cosmos: the container's default TTL expires markers after the bus' redelivery horizon.
MARKER_TTL_SECONDS = 14 * 24 * 3600


def _marker_id(event_id: str) -> str:
    # Ids may not contain / \ ? # (Cosmos); event ids are UUIDs, but be safe with foreign ones.
    return "".join("_" if c in "/\\?#" else c for c in event_id)


@contextmanager
def processed_once(event_id: str, handler_name: str, *, store: DocumentStore) -> Iterator[bool]:
    """Yields True the first time (handler_name, event_id) is seen, False after it succeeded once."""
    inbox = store.container(INBOX_CONTAINER, INBOX_PARTITION_KEY)
    marker = _marker_id(event_id)
    try:
        inbox.read(marker, handler_name)
        seen = True
    except DocumentNotFound:
        seen = False
    # Yield outside the try: a DocumentNotFound raised by the caller's block must propagate,
    # not be taken for a missing marker (which made contextmanager fail with a RuntimeError).
    if seen:
        yield False
        return
    yield True
    with suppress(DocumentExists):  # a concurrent delivery finished first
        inbox.create(
            {
                "id": marker,
                "handler": handler_name,
                "eventId": event_id,
                "processedAt": datetime.now(UTC).isoformat(),
                "ttl": MARKER_TTL_SECONDS,
            }
        )
