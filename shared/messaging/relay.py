"""The outbox relay: committed outbox entries -> the bus, then deleted. At least once.

Each round reads every registered container's pending entries oldest first (`_outbox.seq`),
publishes them in that order in one `publish` call per page (command entries, `UnitOfWork.send`,
go to their queue with one `send` per queue in the same round), and only then deletes them. A crash
after publishing and before deleting republishes on the next round (consumers dedupe on the event
id; Service Bus duplicate detection also drops a repeat message_id); a crash before the state
commit leaves no entry at all, because entries are written in the state's own transaction.

Isolation (one bad entry must not stop the rest):
- an entry that can never be sent (malformed envelope, a message over the bus's 256 KB) is parked
  at once: moved to the `outbox_parked` container, visible in /api/health and GET
  /api/ops/outbox/parked;
- when the bus refuses a page (not "unreachable": a connection or timeout error fails the round
  for that container and counts against nothing), its entries are sent one by one: those the bus
  takes are relayed, each one it refuses (permission on what it routes to, ...) is retried with
  exponential backoff (`_outbox.attempts`, `_outbox.retryAt`) and parked after `max_attempts`.
  When several are refused and none goes through, our access is taken to be broken instead;
- a container whose round fails (store or bus error) is logged and the round goes on with the
  next container, so one container cannot starve the others.
A skipped or parked entry lets later entries of the same subject pass it: the relay keeps commit
order only among entries that go through (docs/storage.md, "Event order").

Runs inside devhost (devhost/services.py, every second) and in Azure from a timer trigger
(functions/outbox.py); docs/storage.md explains why a timer rather than the change feed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from contextlib import suppress
from dataclasses import replace
from datetime import UTC, datetime

from shared.messaging.outbox import (
    OUTBOX_FIELD,
    OUTBOX_INDEX,
    PENDING,
    outbox_containers,
    outbox_properties,
    outbox_queue,
    outbox_type,
    pending_command,
    pending_event,
)
from shared.ports.documents import (
    Container,
    Document,
    DocumentNotFound,
    DocumentStore,
    ETagMismatch,
    Query,
)
from shared.ports.messaging import BusMessage, MessagePublisher

log = logging.getLogger("smartcommerce.outbox")

PAGE_SIZE = 100
# Service Bus standard tier: 256 KB per message, headers and properties included.
MAX_MESSAGE_BYTES = 256 * 1024
_HEADROOM = 8 * 1024  # subject, application properties, broker headers
PARKED_CONTAINER = "outbox_parked"
PARKED_PK = "/sourceContainer"
MAX_ATTEMPTS = 8
BACKOFF_SECONDS = 2.0
BACKOFF_CAP_SECONDS = 600.0


class Unsendable(Exception):
    """An entry no retry can deliver (its envelope or size): parked at once."""


class ParkedOutboxEntries(Exception):
    """/api/health: parked entries are waiting for an operator (GET /api/ops/outbox/parked)."""


def parked_container(store: DocumentStore) -> Container:
    return store.container(PARKED_CONTAINER, PARKED_PK, indexes=("parkedAt",))


def parked_entries(store: DocumentStore, limit: int = 100) -> list[Document]:
    page = parked_container(store).query(Query(order_by=(("parkedAt", "desc"),)), max_items=limit)
    return [{k: v for k, v in d.items() if k not in ("entry", "_etag", "_ts")} for d in page.items]


def parked_check(store: DocumentStore) -> str:
    """The /api/health check: fails while any entry is parked."""
    count = len(parked_container(store).query(Query(), max_items=1).items)
    if count:
        raise ParkedOutboxEntries("parked outbox entries")
    return "0 parked"


# Errors that say the bus is unreachable rather than that it refuses this message (names, so the
# relay need not import azure-servicebus).
_TRANSIENT_NAMES = {
    "ServiceBusConnectionError",
    "ServiceBusCommunicationError",
    "OperationTimeoutError",
    "ServiceBusServerBusyError",
    "ServiceRequestError",
}


def _transient(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    return any(cls.__name__ in _TRANSIENT_NAMES for cls in type(exc).__mro__)


def _message(doc: Document) -> BusMessage:
    try:
        if outbox_queue(doc) is not None:  # a command: the message exactly as it was staged
            return _sized(pending_command(doc))
        message = pending_event(doc).to_message()
        extra = outbox_properties(doc)
        if extra:  # the entry's routing properties; `type` and the trace context stay the event's
            message = replace(message, application_properties={**extra, **message.application_properties})
    except Unsendable:
        raise
    except Exception as exc:  # a malformed envelope fails the same way on every retry
        raise Unsendable(f"malformed envelope: {type(exc).__name__}") from None
    return _sized(message)


def _sized(message: BusMessage) -> BusMessage:
    size = len(message.body) + len(message.subject)
    if size > MAX_MESSAGE_BYTES - _HEADROOM:
        raise Unsendable(f"message of {size} bytes is over the bus's {MAX_MESSAGE_BYTES} byte limit")
    return message


class OutboxRelay:
    def __init__(
        self,
        store: DocumentStore,
        publisher: MessagePublisher,
        containers: Mapping[str, str] | None = None,
        *,
        page_size: int = PAGE_SIZE,
        max_pages: int = 50,
        max_attempts: int = MAX_ATTEMPTS,
        backoff_seconds: float = BACKOFF_SECONDS,
    ) -> None:
        self.store = store
        self.publisher = publisher
        self._containers = dict(containers) if containers is not None else None
        self.page_size = page_size
        self.max_pages = max_pages  # bounds one round; the rest waits for the next
        self.max_attempts = max_attempts  # refusals of one entry before it is parked
        self.backoff_seconds = backoff_seconds  # first retry delay, doubling up to the cap

    def containers(self) -> dict[str, str]:
        # Read at run time, not construction: contexts register as function_app imports them.
        return self._containers if self._containers is not None else outbox_containers()

    def run_once(self) -> int:
        """One round over every container; returns the number of events published."""
        published = 0
        failures: list[Exception] = []
        for name, pk_path in sorted(self.containers().items()):
            try:
                container = self.store.container(name, pk_path, indexes=(OUTBOX_INDEX,))
                published += self._drain(container)
            except Exception as exc:
                # This container waits for the next round; the others still relay now.
                log.warning("outbox relay: container %s failed this round", name, exc_info=True)
                failures.append(exc)
        if failures:
            # After every container had its turn: the round (the timer invocation) still fails.
            raise failures[0]
        return published

    def _drain(self, container: Container) -> int:
        published = 0
        token: str | None = None
        for _ in range(self.max_pages):
            # Keyset tokens: entries deleted on the previous page do not shift the next one, and
            # entries committed meanwhile with an older seq are picked up by the next round.
            page = container.query(PENDING, max_items=self.page_size, continuation_token=token)
            now = time.time()
            ready: list[tuple[Document, BusMessage]] = []
            for doc in page.items:
                if float(doc[OUTBOX_FIELD].get("retryAt", 0) or 0) > now:
                    continue  # backing off after a refusal
                try:
                    ready.append((doc, _message(doc)))
                except Unsendable as exc:
                    self._park(container, doc, str(exc))
            if ready:
                started = time.perf_counter()
                sent = self._publish(container, ready)
                for doc in sent:
                    pk = _partition_key(doc, container.partition_key_path)
                    # Gone or changed: another relay (or a retry) got there first, already published.
                    with suppress(DocumentNotFound, ETagMismatch):
                        container.delete(doc["id"], pk, if_match=doc["_etag"])
                published += len(sent)
                log.debug(
                    "relayed %d events from %s in %.1f ms",
                    len(sent),
                    container.name,
                    (time.perf_counter() - started) * 1000,
                )
            token = page.continuation_token
            if not token:
                break
        return published

    def _deliver(self, ready: list[tuple[Document, BusMessage]]) -> None:
        """Events to the topic in one call (in commit order), commands to their queues."""
        events = [message for doc, message in ready if outbox_queue(doc) is None]
        commands: dict[str, list[BusMessage]] = {}
        for doc, message in ready:
            queue = outbox_queue(doc)
            if queue is not None:
                commands.setdefault(queue, []).append(message)
        if events:
            self.publisher.publish(events)
        for queue, messages in commands.items():
            self.publisher.send(queue, messages)

    def _publish(self, container: Container, ready: list[tuple[Document, BusMessage]]) -> list[Document]:
        """The entries the bus accepted: the page at once, else one by one to isolate refusals.
        (A page that fails part way is sent again one by one: what went through is sent twice,
        which at least once allows; the message ids let the broker and consumers drop it.)"""
        try:
            self._deliver(ready)
            return [doc for doc, _ in ready]
        except Exception as exc:
            if _transient(exc):
                raise  # the bus is unreachable: the whole container waits for the next round
            log.warning("outbox relay: a page from %s was refused; sending one by one", container.name)
        sent: list[Document] = []
        refused: list[tuple[Document, Exception]] = []
        for doc, message in ready:
            try:
                self._deliver([(doc, message)])
                sent.append(doc)
            except Exception as one:
                if _transient(one):
                    raise
                refused.append((doc, one))
        if not sent and len(ready) > 1:
            # Nothing went through: our access to the bus is broken, not these entries.
            raise refused[0][1]
        for doc, error in refused:
            self._refused(container, doc, error)
        return sent

    def _refused(self, container: Container, doc: Document, exc: Exception) -> None:
        attempts = int(doc[OUTBOX_FIELD].get("attempts", 0) or 0) + 1
        reason = f"{type(exc).__name__} after {attempts} attempts"
        if attempts >= self.max_attempts:
            self._park(container, doc, reason, attempts=attempts)
            return
        delay = min(self.backoff_seconds * 2 ** (attempts - 1), BACKOFF_CAP_SECONDS)
        log.warning(
            "outbox relay: %s/%s refused (%s); retry in %.0f s", container.name, doc["id"], reason, delay
        )
        # A replace, not a patch: stores refuse patching `_`-prefixed properties (cosmosdb-server).
        updated = {k: v for k, v in doc.items() if k not in ("_etag", "_ts")}
        updated[OUTBOX_FIELD] = {**doc[OUTBOX_FIELD], "attempts": attempts, "retryAt": time.time() + delay}
        with suppress(DocumentNotFound, ETagMismatch):
            container.replace(updated, if_match=doc["_etag"])

    def _park(self, container: Container, doc: Document, reason: str, *, attempts: int = 0) -> None:
        """Move the entry aside: written to `outbox_parked` first, then deleted (a crash between
        the two parks it twice under the same id, i.e. once)."""
        parked = {
            "id": f"{container.name}--{doc['id']}",
            "sourceContainer": container.name,
            "entryId": doc["id"],
            "eventType": outbox_type(doc),
            "reason": reason,
            "attempts": attempts,
            "parkedAt": datetime.now(UTC).isoformat(),
            "entry": {k: v for k, v in doc.items() if k not in ("_etag", "_ts")},
        }
        log.error("outbox relay: parked %s/%s: %s", container.name, doc["id"], reason)
        parked_container(self.store).upsert(parked)
        with suppress(DocumentNotFound, ETagMismatch):
            container.delete(
                doc["id"], _partition_key(doc, container.partition_key_path), if_match=doc["_etag"]
            )


def _partition_key(document: dict[str, object], pointer: str) -> str:
    node: object = document
    for part in pointer.strip("/").split("/"):
        assert isinstance(node, dict)
        node = node[part]
    return str(node)
