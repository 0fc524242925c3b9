"""Races between calls for the same order: whatever interleaving, no hold outlives its
reservation and `reserved` is the sum of the holds."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any

from shared.inventory.model import ReservationLine
from shared.inventory.repository import InventoryRepository
from shared.inventory.reservations import release, reserve
from shared.inventory.service import adjust_stock, get_stock
from shared.ports.documents import DocumentStore
from tests.unit.inventory.conftest import stocked

ORDERS = 12


def test_reserve_and_release_racing_on_each_order(store: DocumentStore) -> None:
    stocked(store, "A", 100)
    stocked(store, "B", 100)
    lines = [ReservationLine("A", 2), ReservationLine("B", 1)]
    barrier = threading.Barrier(ORDERS * 3, timeout=30)
    errors: list[BaseException] = []

    def run(call: str, order_id: str) -> None:
        try:
            barrier.wait()
            if call == "reserve":
                reserve(store=store, order_id=order_id, lines=lines)
            else:
                release(store=store, order_id=order_id, reason="cancelled")
        except BaseException as exc:  # surfaced below: a thread's failure must fail the test
            errors.append(exc)

    threads = [
        threading.Thread(target=run, args=(call, f"o{n}"))
        for n in range(ORDERS)
        for call in ("reserve", "release", "reserve")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors and not any(t.is_alive() for t in threads)

    repo = InventoryRepository(store)
    for sku in ("A", "B"):
        item = get_stock(store=store, sku=sku)
        assert item.reserved == sum(item.holds.values())
        for n in range(ORDERS):
            res = repo.get_reservation(f"o{n}")
            assert res is not None
            held = f"o{n}" in item.holds
            assert held == (res.status == "reserved"), (sku, n, res.status, held)


class _InterleavingStore(DocumentStore):
    """The real SQLite store, except that once, just before the first write matching `when`
    reaches it, `action` runs: a deterministic interleaving of two calls."""

    def __init__(self, inner: DocumentStore, when: Callable[[Any], bool], action: Callable[[], None]) -> None:
        self.inner, self.when, self.pending = inner, when, [action]

    def container(self, name: str, partition_key_path: str, *, indexes: Sequence[str] = ()) -> Any:
        return _Interleave(self, self.inner.container(name, partition_key_path, indexes=indexes))

    def before_write(self, documents: list[Any]) -> None:
        if self.pending and any(self.when(d) for d in documents):
            self.pending.pop()()


class _Interleave:
    def __init__(self, store: _InterleavingStore, inner: Any) -> None:
        self._store, self._inner = store, inner

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def replace(self, document: Any, **kwargs: Any) -> Any:
        self._store.before_write([document])
        return self._inner.replace(document, **kwargs)

    def batch(self, partition_key: str, operations: Any) -> Any:
        self._store.before_write([op.document for op in operations if op.document is not None])
        return self._inner.batch(partition_key, operations)


def test_a_failing_reserve_never_drops_the_holds_of_a_concurrent_winning_one(store: DocumentStore) -> None:
    # Call 1 holds A, finds B short. Before it records that (or drops A's hold), stock arrives
    # and call 2 for the same order (an activity retry that overlapped) holds A and B and settles
    # "reserved". Call 1 must then leave the order's holds alone: they are call 2's too. The old
    # code dropped A's hold first, leaving a "reserved" reservation without A's stock.
    stocked(store, "A", 5)
    stocked(store, "B", 1)
    lines = [ReservationLine("A", 1), ReservationLine("B", 2)]
    second: list[str] = []

    def overlapping_call() -> None:
        adjust_stock(store=store, sku="B", delta=5, reason="delivery")
        second.append(reserve(store=store, order_id="o1", lines=lines).status)

    def failing_or_unholding(doc: Any) -> bool:
        dropping_a = doc.get("docType") == "stock" and doc["sku"] == "A" and "o1" not in doc["holds"]
        return doc.get("status") == "failed" or dropping_a

    first = reserve(
        store=_InterleavingStore(store, failing_or_unholding, overlapping_call), order_id="o1", lines=lines
    )
    assert second == ["reserved"]
    assert first.status == "reserved"
    for sku, qty in (("A", 1), ("B", 2)):
        item = get_stock(store=store, sku=sku)
        assert item.holds == {"o1": qty} and item.reserved == qty, (sku, item)
