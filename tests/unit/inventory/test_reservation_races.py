"""Races between calls for the same order: whatever interleaving, no hold outlives its
reservation and `reserved` is the sum of the holds."""

from __future__ import annotations

import threading

from shared.inventory.model import ReservationLine
from shared.inventory.repository import InventoryRepository
from shared.inventory.reservations import release, reserve
from shared.inventory.service import get_stock
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
