"""The order event stream (append-only, optimistic concurrency) and its projections.

Container `order_streams`, partitioned by `/orderId`: the stream entries `<orderId>:<sequence>` and
the stream head (the current state, id = order id) share a partition, so appending events, writing
the new head and staging the outbox entries (events, and the notification command that
`NotificationRequested` records) is one transactional batch. Entry ids are sequence
numbers: two writers that read the same version both try to create the same entry id and exactly
one wins (`StreamConflict` for the other, who re-reads and decides again).

Read models, written after each commit and only ever moved forward (by version): the order
document in `orders` (partition `/id`, what other contexts and staff lists read) and the customer's
order list in `order_lists` (`/customerId`). `rebuild_projections` recomputes all of it from the
streams.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from shared.messaging.events import new_event
from shared.messaging.outbox import NOT_OUTBOX, UnitOfWork, register_outbox
from shared.orders.commands import NOTIFICATION_QUEUE, notification_command
from shared.orders.events import PUBLISHED
from shared.orders.model import OrderState, apply
from shared.ports.documents import (
    BatchFailed,
    Container,
    DocumentExists,
    DocumentNotFound,
    DocumentStore,
    ETagMismatch,
    Filter,
    Query,
)
from shared.storage.retry import retry_on_conflict

CONTAINER = "order_streams"
PARTITION_KEY = "/orderId"
READ_MODEL = "orders"
LISTS = "order_lists"
register_outbox(CONTAINER, PARTITION_KEY)
NewEvent = tuple[str, dict[str, Any]]
MAX_ROUNDS = 20
_STATE_CACHE_MAX = 4096


class StreamConflict(Exception):
    """Someone appended to the stream since it was read."""


@dataclass(frozen=True)
class Loaded:
    state: OrderState
    etag: str | None


def _now() -> str:
    return datetime.now(UTC).isoformat()


_INTERNAL = ("paymentToken", "cardFingerprint")


def _public_data(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    # The payment token and card fingerprint are internal: kept in the stream, never shown or published.
    return {k: v for k, v in data.items() if k not in _INTERNAL} if event_type == "OrderCreated" else data


# The fraud context labels an outcome only when a person reviewed the order
# (shared/orders/fraud_labels.py); messaging.json's fraud subscription skips the outcome events
# whose message says `reviewed: "false"` (an application property from the outbox entry, not
# part of the CloudEvent), most orders' OrderConfirmed (round 3, docs/performance.md).
REVIEWED = "reviewed"
REVIEWED_EVENTS = ("OrderConfirmed", "OrderRejected")


def _routing(event_type: str, state: OrderState) -> dict[str, str] | None:
    if event_type not in REVIEWED_EVENTS:
        return None
    return {REVIEWED: "true" if state.review else "false"}


def _view(state: OrderState, public: dict[str, Any] | None = None) -> dict[str, Any]:
    """A read model document: the public order plus its version."""
    return {
        **(public if public is not None else state.public().model_dump(mode="json", by_alias=True)),
        "version": state.version,
        "orderId": state.id,
    }


def _list_entry(state: OrderState) -> dict[str, Any]:
    # The customer's list also keeps the card fingerprint: the fraud check counts distinct cards
    # from it (shared.orders.risk). The list API validates entries into `Order`, which drops it.
    return {**_view(state), "cardFingerprint": state.card_fingerprint}


class OrderStream:
    def __init__(self, store: DocumentStore) -> None:
        # status + createdAt: the recovery sweep finds stale `pending` heads (shared.orders.recovery).
        self.streams = store.container(
            CONTAINER, PARTITION_KEY, indexes=("docType", "sequence", "status", "createdAt")
        )
        self.orders = store.container(READ_MODEL, "/id", indexes=("docType", "createdAt", "status"))
        self.lists = store.container(LISTS, "/customerId", indexes=("createdAt", "status"))
        # order id -> (head ETag, state validated from it). A head is read by every step and every
        # GET while it has not changed; its ETag changes with every write, so validating once per
        # ETag gives the same state (states are never mutated: `apply` copies).
        self._states: dict[str, tuple[str, OrderState]] = {}
        # (container, id) -> (version, ETag) of the projection this process wrote last: the next
        # projection of that order replaces it on that ETag without reading it first. Anyone else
        # writing it changes the ETag, and a mismatch falls back to read, compare, replace.
        self._projected: dict[tuple[str, str], tuple[int, str]] = {}
        # (state, its public view dumped) of the last append, for that append's projection.
        self._last_dump: tuple[OrderState, dict[str, Any]] | None = None

    def load(self, order_id: str) -> Loaded | None:
        try:
            doc = self.streams.read(order_id, order_id)
        except DocumentNotFound:
            return None
        if doc.get("docType") != "order_head":
            return None
        etag = doc.get("_etag")
        hit = self._states.get(order_id)
        if hit is not None and etag is not None and hit[0] == etag:
            return Loaded(hit[1], etag)
        state = OrderState.model_validate(doc)
        self._cache(order_id, etag, state)
        return Loaded(state, etag)

    def _cache(self, order_id: str, etag: Any, state: OrderState) -> None:
        if isinstance(etag, str):
            if len(self._states) >= _STATE_CACHE_MAX:
                self._states.clear()
            self._states[order_id] = (etag, state)

    def append(self, order_id: str, current: Loaded | None, events: Sequence[NewEvent]) -> Loaded:
        """Append `events` after `current` (None: a new stream). `StreamConflict` if it moved on."""
        at = _now()
        state = current.state if current else None
        uow = UnitOfWork(self.streams, order_id)
        dumped: list[tuple[OrderState, dict[str, Any]]] = []

        def public_dump(of: OrderState) -> dict[str, Any]:
            # The published event, the command and the projections of the same state share one
            # dump of its public view (only read from, never changed).
            if dumped and dumped[-1][0] is of:
                return dumped[-1][1]
            dump = of.public().model_dump(mode="json", by_alias=True)
            dumped.append((of, dump))
            return dump

        for event_type, data in events:
            state = apply(state, event_type, data, at)
            uow.create(
                {
                    "id": f"{order_id}:{state.version:06d}",
                    "docType": "order_event",
                    "orderId": order_id,
                    "sequence": state.version,
                    "type": event_type,
                    "at": at,
                    "data": data,
                }
            )
            if event_type in PUBLISHED:
                order = public_dump(state)
                payload = PUBLISHED[event_type](
                    order_id=order_id,
                    customer_id=state.customer_id,
                    status=state.status,
                    order=order,
                    reason=data.get("reason"),
                    refund=data.get("refund"),
                    failure_reason=order.get("failureReason"),
                    shipment=order.get("shipment") if event_type == "OrderShipped" else None,
                )
                uow.emit(new_event(payload, subject=order_id), properties=_routing(event_type, state))
            elif event_type == "NotificationRequested":
                # The command commits with the event that records it (shared/orders/commands.py):
                # the relay sends it, at least once, as it does the events.
                uow.send(
                    NOTIFICATION_QUEUE, notification_command(state, str(data["kind"]), public_dump(state))
                )
        assert state is not None
        head = {**state.model_dump(mode="json", by_alias=True), "orderId": order_id, "docType": "order_head"}
        if current is None:
            uow.create(head)
        else:
            uow.replace(head, if_match=current.etag)
        try:
            written = uow.commit()[-1] or {}
        except BatchFailed as exc:
            raise StreamConflict(f"order {order_id} changed meanwhile") from exc
        etag = written.get("_etag")
        # The head just written is `state` dumped: the next load of it (the next step, the
        # clients' polls) finds the state under its ETag instead of validating it again.
        self._cache(order_id, etag, state)
        # The projection reuses the dump (identity-checked: threads share this stream).
        self._last_dump = (state, public_dump(state))
        self.project(state)
        return Loaded(state, etag)

    def update(self, order_id: str, decide: Callable[[OrderState], Sequence[NewEvent]]) -> OrderState:
        """Load, decide the events (may raise to refuse), append; again on a concurrent append."""

        def attempt() -> OrderState:
            current = self.load(order_id)
            if current is None:
                raise DocumentNotFound(f"order {order_id}")
            events = decide(current.state)
            if not events:
                # Nothing to record: often an earlier attempt recorded it and died before projecting
                # (the read models are written after the commit), so bring them up to date.
                self.project(current.state)
                return current.state
            return self.append(order_id, current, events).state

        def exhausted() -> OrderState:
            raise StreamConflict(f"order {order_id} kept changing")

        return retry_on_conflict(
            attempt, attempts=MAX_ROUNDS, backoff=False, conflicts=(StreamConflict,), exhausted=exhausted
        )

    def events(self, order_id: str) -> list[dict[str, Any]]:
        query = Query(
            where=(Filter("docType", "=", "order_event"), NOT_OUTBOX), order_by=(("sequence", "asc"),)
        )
        return [
            {**e, "data": _public_data(e["type"], e["data"])}
            for e in self.streams.query_all(query, partition_key=order_id)
        ]

    # --- read models ------------------------------------------------------------------------------
    def project(self, state: OrderState) -> None:
        """The order document and the customer's list entry (public view + version)."""
        last = self._last_dump
        view = _view(state, last[1] if last is not None and last[0] is state else None)
        self._forward(self.orders, {**view, "docType": "order"}, state.id)
        self._forward(self.lists, {**view, "cardFingerprint": state.card_fingerprint}, state.customer_id)

    def _forward(self, container: Container, document: dict[str, Any], partition_key: str) -> None:
        key = (container.name, str(document["id"]))
        known = self._projected.get(key)
        version = int(document["version"])
        if known is not None and known[0] < version:
            try:  # unchanged since this process wrote it: no read needed to compare versions
                written = container.replace(document, if_match=known[1])
            except (ETagMismatch, DocumentNotFound):
                pass  # someone else wrote (or removed) it: read and compare below
            else:
                self._remember(key, version, written)
                return
        elif known is None and version == 1:
            try:  # a new order's first projection: nothing to read (one exists only on a repeat)
                created = container.create(document)
            except DocumentExists:
                pass  # projected already (a repeated request): read and compare below
            else:
                self._remember(key, version, created)
                return
        forwarded = _forward(container, document, partition_key)
        if forwarded is not None:
            self._remember(key, version, forwarded)

    def _remember(self, key: tuple[str, str], version: int, written: dict[str, Any]) -> None:
        if len(self._projected) >= 2 * _STATE_CACHE_MAX:
            self._projected.clear()
        etag = written.get("_etag")
        if isinstance(etag, str):
            self._projected[key] = (version, etag)


def _forward(container: Container, document: dict[str, Any], partition_key: str) -> dict[str, Any] | None:
    """Write `document` unless a newer version is there already (projections may arrive late).
    Returns what was written (None: a newer version stood)."""

    def attempt() -> dict[str, Any] | None:
        try:
            existing = container.read(document["id"], partition_key)
        except DocumentNotFound:
            return container.create(document)  # DocumentExists: written meanwhile, decide again
        if int(existing.get("version", 0)) >= int(document["version"]):
            return None
        return container.replace(document, if_match=existing["_etag"])  # lost or deleted: again

    # After MAX_ROUNDS lost races a newer writer is clearly active: its version stands.
    return retry_on_conflict(
        attempt,
        attempts=MAX_ROUNDS,
        backoff=False,
        conflicts=(DocumentExists, ETagMismatch, DocumentNotFound),
        exhausted=lambda: None,
    )


def replay(entries: Sequence[dict[str, Any]]) -> OrderState | None:
    state: OrderState | None = None
    for entry in entries:
        state = apply(state, entry["type"], entry["data"], entry["at"])
    return state


def rebuild_projections(store: DocumentStore) -> int:
    """Recompute every stream head and read model from the streams. Returns the order count."""
    stream = OrderStream(store)
    query = Query(where=(Filter("docType", "=", "order_event"), NOT_OUTBOX))
    by_order: dict[str, list[dict[str, Any]]] = {}
    for entry in stream.streams.query_all(query):
        by_order.setdefault(entry["orderId"], []).append(entry)
    for order_id, entries in by_order.items():
        state = replay(sorted(entries, key=lambda e: int(e["sequence"])))
        assert state is not None
        head = {**state.model_dump(mode="json", by_alias=True), "orderId": order_id, "docType": "order_head"}
        stream.streams.upsert(head)
        stream.orders.upsert({**_view(state), "docType": "order"})
        stream.lists.upsert(_list_entry(state))
    return len(by_order)
