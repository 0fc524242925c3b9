"""The outbox relay: committed outbox entries -> the bus, then deleted. At least once, in order.

Each round reads every registered container's pending entries oldest first (`_outbox.seq`),
publishes them in that order in one `publish` call per page, and only then deletes them. A crash
after publishing and before deleting republishes on the next round (consumers dedupe on the event
id; Service Bus duplicate detection also drops a repeat message_id); a crash before the state
commit leaves no entry at all, because entries are written in the state's own transaction.

Runs inside devhost (devhost/services.py, every second) and in Azure from a timer trigger
(functions/outbox.py); docs/storage.md explains why a timer rather than the change feed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from contextlib import suppress

from shared.messaging.outbox import OUTBOX_INDEX, PENDING, outbox_containers, pending_event
from shared.ports.documents import Container, DocumentNotFound, DocumentStore, ETagMismatch
from shared.ports.messaging import MessagePublisher

log = logging.getLogger("smartcommerce.outbox")

PAGE_SIZE = 100


class OutboxRelay:
    def __init__(
        self,
        store: DocumentStore,
        publisher: MessagePublisher,
        containers: Mapping[str, str] | None = None,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = 50,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self._containers = dict(containers) if containers is not None else None
        self.page_size = page_size
        self.max_pages = max_pages  # bounds one round; the rest waits for the next

    def containers(self) -> dict[str, str]:
        # Read at run time, not construction: contexts register as function_app imports them.
        return self._containers if self._containers is not None else outbox_containers()

    def run_once(self) -> int:
        """One round over every container; returns the number of events published."""
        published = 0
        for name, pk_path in sorted(self.containers().items()):
            container = self.store.container(name, pk_path, indexes=(OUTBOX_INDEX,))
            published += self._drain(container)
        return published

    def _drain(self, container: Container) -> int:
        published = 0
        for _ in range(self.max_pages):
            # Always the first page: the previous page's entries were deleted, so no token needed
            # (and a token would skip entries committed meanwhile with an older seq).
            page = container.query(PENDING, max_items=self.page_size)
            if not page.items:
                break
            events = [pending_event(doc) for doc in page.items]
            started = time.perf_counter()
            self.publisher.publish([e.to_message() for e in events])
            for doc in page.items:
                pk = _partition_key(doc, container.partition_key_path)
                # Gone or changed: another relay (or a retry) got there first, already published.
                with suppress(DocumentNotFound, ETagMismatch):
                    container.delete(doc["id"], pk, if_match=doc["_etag"])
            published += len(events)
            log.debug(
                "relayed %d events from %s in %.1f ms",
                len(events),
                container.name,
                (time.perf_counter() - started) * 1000,
            )
            if not page.continuation_token:
                break
        return published


def _partition_key(document: dict[str, object], pointer: str) -> str:
    node: object = document
    for part in pointer.strip("/").split("/"):
        assert isinstance(node, dict)
        node = node[part]
    return str(node)
