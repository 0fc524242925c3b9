"""The transactional outbox: state changes and the events they cause commit together.

A service stages its writes and events on a `UnitOfWork` for one partition; `commit()` sends them
as one transactional batch (Cosmos) / one SQLite transaction, where each event becomes an outbox
document in the same partition:

    uow = UnitOfWork(orders, partition_key=order_id)
    uow.replace(order_doc, if_match=order_doc["_etag"])
    uow.emit(new_event(OrderConfirmed(...), subject=order_id))
    uow.commit()          # both or neither; BatchFailed on a stale ETag

Outbox documents carry an `_outbox` object (`seq`, `event`) and nothing else a query of the
context would match on; queries listing a whole container add `NOT_OUTBOX` to their filters. The
relay (`OutboxRelay`, in relay.py terms below) publishes them to the bus and deletes them.
Commands (`UnitOfWork.send`): a message addressed to one queue, staged the same way (the entry
keeps the message as it goes on the wire, and its `queue`), for a command that must go out if and
only if the state change commits: sending it directly after the commit leaves a crash between the
two to the caller's retries, sending it before leaves a command for a change that never happened.

Ordering: `seq` is a time-based, per-process monotonic string, so entries of one subject (whose
writes are serialized by the ETag checks on the aggregate) enter the topic in commit order (unless
one is parked or backing off). Consumers do not receive them in that order: no sessions, 16
concurrent calls per instance (docs/storage.md, "Event order").
"""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any

from shared.messaging.events import CloudEvent, current_traceparent
from shared.ports.documents import BatchOp, Container, Document, Filter, PatchOp, Query
from shared.ports.messaging import BusMessage

OUTBOX_FIELD = "_outbox"
# Add to the filters of queries that could otherwise return pending outbox documents.
NOT_OUTBOX = Filter(OUTBOX_FIELD, "undefined")
# Pending entries, oldest first; `> ""` (not `defined`) so SQLite walks the expression index.
PENDING = Query(where=(Filter(f"{OUTBOX_FIELD}.seq", ">", ""),), order_by=((f"{OUTBOX_FIELD}.seq", "asc"),))
OUTBOX_INDEX = f"{OUTBOX_FIELD}.seq"

# Containers whose documents may carry outbox entries: name -> partition key path. Contexts
# register theirs at import (next to their repository); the relay scans each.
_containers: dict[str, str] = {}
_seq_lock = threading.Lock()
_last_ns = 0
_counter = itertools.count()


def check_outbox_partition_key(container_name: str, partition_key_path: str) -> None:
    """Outbox entries share the state document's partition, so the partition key cannot be the id:
    under `/id` a partition holds exactly one document and an entry would need the state's id.
    Use a copy of the id in its own field instead (products use `/productId`, users `/userId`)."""
    if partition_key_path.strip("/") == "id":
        raise ValueError(
            f"outbox container {container_name}: partition key path /id cannot hold outbox entries "
            "next to the state document; partition on a copy of the id (e.g. /orderId) instead"
        )


def register_outbox(container_name: str, partition_key_path: str) -> None:
    check_outbox_partition_key(container_name, partition_key_path)
    existing = _containers.get(container_name)
    if existing is not None and existing != partition_key_path:
        raise ValueError(f"outbox container {container_name} registered with {existing}")
    _containers[container_name] = partition_key_path


def outbox_containers() -> dict[str, str]:
    return dict(_containers)


def next_seq() -> str:
    """Sortable, unique in this process, never going backwards even if the clock does."""
    global _last_ns
    with _seq_lock:
        _last_ns = max(_last_ns + 1, time.time_ns())
        return f"{_last_ns:020d}-{next(_counter) % 1_000_000:06d}"


def _set_pointer(document: Document, pointer: str, value: str) -> None:
    parts = pointer.strip("/").split("/")
    node = document
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value


def outbox_document(
    event: CloudEvent,
    partition_key_path: str,
    partition_key: str,
    properties: Mapping[str, str] | None = None,
) -> Document:
    entry: dict[str, Any] = {"seq": next_seq(), "event": event.model_dump(mode="json", exclude_none=True)}
    if properties:
        # Extra application properties for subscription filters (messaging.json `skipWhen`); the
        # relay adds them to the message, the CloudEvent envelope itself stays as it is.
        entry["properties"] = dict(properties)
    document: Document = {"id": f"outbox-{event.id}", OUTBOX_FIELD: entry}
    _set_pointer(document, partition_key_path, partition_key)
    return document


def command_document(
    queue: str, message: BusMessage, partition_key_path: str, partition_key: str
) -> Document:
    """An outbox entry for a command to `queue`: the message as it goes on the wire (the body as
    text, its id is the broker's duplicate-detection key and the consumer's dedupe key)."""
    wire: dict[str, Any] = {
        "messageId": message.message_id,
        "subject": message.subject,
        "contentType": message.content_type,
        "body": message.body.decode(),
        "properties": dict(message.application_properties),
    }
    if message.correlation_id:
        wire["correlationId"] = message.correlation_id
    document: Document = {
        "id": f"outbox-{message.message_id}",
        OUTBOX_FIELD: {"seq": next_seq(), "queue": queue, "message": wire},
    }
    _set_pointer(document, partition_key_path, partition_key)
    return document


def outbox_queue(document: Document) -> str | None:
    """The queue a command entry goes to; None for an event (the topic)."""
    queue: Any = document[OUTBOX_FIELD].get("queue")
    return queue if isinstance(queue, str) else None


def pending_command(document: Document) -> BusMessage:
    wire: Any = document[OUTBOX_FIELD]["message"]
    return BusMessage(
        message_id=str(wire["messageId"]),
        body=str(wire["body"]).encode(),
        subject=str(wire["subject"]),
        content_type=str(wire["contentType"]),
        correlation_id=wire.get("correlationId"),
        application_properties=dict(wire.get("properties") or {}),
    )


def outbox_type(document: Document) -> str | None:
    """What an entry carries, for operators: the event type, or a command's subject."""
    meta: Any = document.get(OUTBOX_FIELD) or {}
    if not isinstance(meta, dict):
        return None
    item: Any = meta.get("event") or meta.get("message")
    if not isinstance(item, dict):
        return None
    kind = item.get("type") or item.get("subject")
    return str(kind) if kind else None


def outbox_properties(document: Document) -> dict[str, str]:
    """The routing properties an outbox entry carries (strings only; none for older entries)."""
    raw: Any = document[OUTBOX_FIELD].get("properties")
    if not isinstance(raw, dict):
        return {}
    return {str(k): v for k, v in raw.items() if isinstance(v, str)}


class UnitOfWork:
    """Writes and events for ONE partition, committed atomically (at most 100 operations)."""

    def __init__(self, container: Container, partition_key: str) -> None:
        self.container = container
        self.partition_key = partition_key
        self._ops: list[BatchOp] = []
        self._events: list[CloudEvent] = []
        self._properties: dict[str, Mapping[str, str]] = {}  # event id -> routing properties
        self._commands: list[tuple[str, BusMessage]] = []  # (queue, message)
        self.committed = False

    def create(self, document: Document) -> UnitOfWork:
        self._ops.append(BatchOp("create", document=document))
        return self

    def upsert(self, document: Document, *, if_match: str | None = None) -> UnitOfWork:
        self._ops.append(BatchOp("upsert", document=document, if_match=if_match))
        return self

    def replace(self, document: Document, *, if_match: str | None = None) -> UnitOfWork:
        self._ops.append(BatchOp("replace", document=document, if_match=if_match))
        return self

    def delete(self, id: str, *, if_match: str | None = None) -> UnitOfWork:
        self._ops.append(BatchOp("delete", id=id, if_match=if_match))
        return self

    def patch(self, id: str, operations: Sequence[PatchOp], *, if_match: str | None = None) -> UnitOfWork:
        self._ops.append(BatchOp("patch", id=id, patch=tuple(operations), if_match=if_match))
        return self

    def emit(self, *events: CloudEvent, properties: Mapping[str, str] | None = None) -> UnitOfWork:
        """Stage events; `properties`: extra application properties their messages carry (the
        event type is always the `type` property), for subscription filters."""
        self._events.extend(events)
        if properties:
            for e in events:
                self._properties[e.id] = properties
        return self

    def send(self, queue: str, *messages: BusMessage) -> UnitOfWork:
        """Stage commands for `queue`: the relay sends them once this unit commits (at least
        once; the message id is the dedupe key, so keep it stable for the same command). A
        message without a `traceparent` gets the current span's, as the publishers stamp one
        sent directly: the relay sends it outside any span, and the consumer continues the
        trace the command was staged in."""
        current = current_traceparent()
        for m in messages:
            if current and not m.application_properties.get("traceparent"):
                m = replace(m, application_properties={**m.application_properties, "traceparent": current})
            self._commands.append((queue, m))
        return self

    def commit(self) -> list[Document | None]:
        """Results of the staged writes (not the outbox entries), in order."""
        if self.committed:
            raise RuntimeError("unit of work already committed")
        if not self._ops and not self._events and not self._commands:
            return []
        path = self.container.partition_key_path
        if self._events or self._commands:
            check_outbox_partition_key(self.container.name, path)
        entries = [
            BatchOp(
                "create",
                document=outbox_document(e, path, self.partition_key, self._properties.get(e.id)),
            )
            for e in self._events
        ]
        entries += [
            BatchOp("create", document=command_document(q, m, path, self.partition_key))
            for q, m in self._commands
        ]
        results = self.container.batch(self.partition_key, [*self._ops, *entries])
        self.committed = True
        return results[: len(self._ops)]


def pending_event(document: Document) -> CloudEvent:
    raw: Any = document[OUTBOX_FIELD]["event"]
    return CloudEvent.model_validate(raw)
