from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from shared.inventory.expiry import extend, sweep_expired
from shared.inventory.model import ReservationLine
from shared.inventory.repository import InventoryRepository
from shared.inventory.reservations import ReservationNotActive, commit, release, reserve
from shared.inventory.service import get_stock
from shared.kernel.errors import NotFound
from shared.ports.documents import DocumentStore
from tests.unit.inventory.conftest import pending_event_types, stocked


def levels(store: DocumentStore, sku: str) -> tuple[int, int, int]:
    item = get_stock(store=store, sku=sku)
    return item.on_hand, item.reserved, item.available


def line(sku: str, qty: int) -> ReservationLine:
    return ReservationLine(sku=sku, quantity=qty)


def test_reserve_holds_every_line(store: DocumentStore) -> None:
    stocked(store, "A", 5)
    stocked(store, "B", 5)
    out = reserve(store=store, order_id="o1", lines=[line("A", 2), line("B", 1), line("A", 1)])
    assert out.ok and out.status == "reserved"
    assert [(x.sku, x.quantity) for x in out.lines] == [("A", 3), ("B", 1)]
    assert levels(store, "A") == (5, 3, 2) and levels(store, "B") == (5, 1, 4)
    assert "InventoryReserved" in pending_event_types(store)


def test_reserve_twice_is_one_reservation(store: DocumentStore) -> None:
    stocked(store, "A", 5)
    first = reserve(store=store, order_id="o1", lines=[line("A", 2)])
    second = reserve(store=store, order_id="o1", lines=[line("A", 2)])
    assert first == second
    assert levels(store, "A") == (5, 2, 3)
    assert pending_event_types(store).count("InventoryReserved") == 1


def test_all_or_nothing_when_one_line_is_short(store: DocumentStore) -> None:
    stocked(store, "A", 5)
    stocked(store, "B", 1)
    out = reserve(store=store, order_id="o1", lines=[line("A", 2), line("B", 2)])
    assert not out.ok and out.status == "failed" and out.failed_skus == ["B"]
    assert levels(store, "A") == (5, 0, 5) and levels(store, "B") == (1, 0, 1)
    assert "InventoryReserved" not in pending_event_types(store)


def test_unknown_sku_fails_the_reservation(store: DocumentStore) -> None:
    stocked(store, "A", 5)
    out = reserve(store=store, order_id="o1", lines=[line("A", 1), line("ZZZ", 1)])
    assert out.status == "failed" and out.failed_skus == ["ZZZ"]
    assert levels(store, "A") == (5, 0, 5)


def test_release_is_idempotent(store: DocumentStore) -> None:
    stocked(store, "A", 5)
    reserve(store=store, order_id="o1", lines=[line("A", 2)])
    reserve(store=store, order_id="o2", lines=[line("A", 1)])
    assert release(store=store, order_id="o1", reason="cancelled").status == "released"
    assert release(store=store, order_id="o1", reason="cancelled").status == "released"
    assert levels(store, "A") == (5, 1, 4)
    assert pending_event_types(store).count("InventoryReleased") == 1


def test_release_before_reserve_blocks_a_late_reserve(store: DocumentStore) -> None:
    stocked(store, "A", 5)
    assert release(store=store, order_id="o1", reason="timeout").status == "released"
    out = reserve(store=store, order_id="o1", lines=[line("A", 2)])
    assert out.status == "released"
    assert levels(store, "A") == (5, 0, 5)


def test_commit_consumes_the_holds_once(store: DocumentStore) -> None:
    stocked(store, "A", 5)
    reserve(store=store, order_id="o1", lines=[line("A", 2)])
    assert commit(store=store, order_id="o1").status == "committed"
    assert commit(store=store, order_id="o1").status == "committed"
    assert levels(store, "A") == (3, 0, 3)
    assert release(store=store, order_id="o1").status == "committed"  # nothing to give back
    assert levels(store, "A") == (3, 0, 3)


def test_commit_needs_an_active_reservation(store: DocumentStore) -> None:
    stocked(store, "A", 5)
    with pytest.raises(NotFound):
        commit(store=store, order_id="nope")
    reserve(store=store, order_id="o1", lines=[line("A", 1)])
    release(store=store, order_id="o1")
    with pytest.raises(ReservationNotActive):
        commit(store=store, order_id="o1")
    assert levels(store, "A") == (5, 0, 5)


def test_sweep_releases_only_expired_reservations(store: DocumentStore) -> None:
    stocked(store, "A", 5)
    start = datetime.now(UTC)
    reserve(
        store=store, order_id="old", lines=[line("A", 2)], ttl_seconds=60, now=start - timedelta(minutes=5)
    )
    reserve(store=store, order_id="new", lines=[line("A", 1)], ttl_seconds=600, now=start)
    assert sweep_expired(store=store, now=start) == 1
    assert levels(store, "A") == (5, 1, 4)
    assert sweep_expired(store=store, now=start) == 0  # a second sweep finds nothing
    assert release(store=store, order_id="old").status == "released"
    assert levels(store, "A") == (5, 1, 4)


def test_outcome_is_plain_json(store: DocumentStore) -> None:
    stocked(store, "A", 1)
    data = reserve(store=store, order_id="o1", lines=[line("A", 1)]).to_dict()
    assert data["ok"] is True and data["lines"] == [{"sku": "A", "quantity": 1}]
    assert isinstance(data["expiresAt"], str)


def test_release_of_a_failed_reservation_drops_holds_a_crash_left_behind(store: DocumentStore) -> None:
    # A failed reserve records `failed` first and drops its holds after; a crash in between leaves
    # a hold. The workflow's compensation releases the order: that must give the hold back.
    stocked(store, "A", 5)
    stocked(store, "B", 1)
    assert reserve(store=store, order_id="o1", lines=[line("A", 1), line("B", 2)]).status == "failed"
    repo = InventoryRepository(store)
    item = repo.get_stock("A")
    assert item is not None and item.hold("o1", 1)
    repo.save_stock(item)  # the hold the crashed call left
    assert levels(store, "A") == (5, 1, 4)
    assert release(store=store, order_id="o1", reason="out_of_stock").status == "failed"
    assert levels(store, "A") == (5, 0, 5)
    assert "InventoryReleased" not in pending_event_types(store)  # nothing was reserved


def test_extend_keeps_a_reservation_past_its_default_expiry(store: DocumentStore) -> None:
    # An order waiting hours for a fraud review must not lose its stock to the 15-minute sweep.
    stocked(store, "A", 5)
    start = datetime.now(UTC)
    reserve(store=store, order_id="o1", lines=[line("A", 2)], ttl_seconds=60, now=start)
    out = extend(store=store, order_id="o1", ttl_seconds=3600, now=start + timedelta(seconds=30))
    assert out.ok and out.expires_at is not None
    assert datetime.fromisoformat(out.expires_at) == start + timedelta(seconds=3630)
    # Never shortens; idempotent.
    assert extend(store=store, order_id="o1", ttl_seconds=10, now=start + timedelta(seconds=40)) == out
    assert sweep_expired(store=store, now=start + timedelta(minutes=30)) == 0
    assert levels(store, "A") == (5, 2, 3)
    assert sweep_expired(store=store, now=start + timedelta(hours=2)) == 1
    assert levels(store, "A") == (5, 0, 5)


def test_extend_refuses_what_is_no_longer_held(store: DocumentStore) -> None:
    stocked(store, "A", 5)
    start = datetime.now(UTC)
    with pytest.raises(NotFound):
        extend(store=store, order_id="nope", ttl_seconds=60)
    reserve(store=store, order_id="late", lines=[line("A", 1)], ttl_seconds=60, now=start)
    # Past its expiry the sweep may already be releasing it: too late to keep it.
    with pytest.raises(ReservationNotActive):
        extend(store=store, order_id="late", ttl_seconds=600, now=start + timedelta(seconds=61))
    reserve(store=store, order_id="gone", lines=[line("A", 1)])
    release(store=store, order_id="gone")
    with pytest.raises(ReservationNotActive):
        extend(store=store, order_id="gone", ttl_seconds=600)
    assert levels(store, "A") == (5, 1, 4)
