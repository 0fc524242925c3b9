"""Commit vs release (and the expiry sweep), interleaved deterministically over the real SQLite
store: each claims the reservation document before touching the holds, so exactly one of them
acts on the stock, and a crash after the claim is finished by the next call."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.inventory.expiry import extend, sweep_expired
from shared.inventory.model import ReservationLine
from shared.inventory.repository import InventoryRepository
from shared.inventory.reservations import ReservationNotActive, commit, release, reserve
from shared.inventory.service import get_stock
from shared.ports.documents import DocumentStore
from tests.unit.inventory.conftest import stocked
from tests.unit.inventory.test_reservation_races import _InterleavingStore

LINES = [ReservationLine("A", 2), ReservationLine("B", 3)]


class Crash(Exception):
    pass


def crash() -> None:
    raise Crash("process died")


def _reserved(store: DocumentStore, order_id: str = "o1", ttl: int = 900) -> datetime:
    stocked(store, "A", 10)
    stocked(store, "B", 10)
    outcome = reserve(store=store, order_id=order_id, lines=LINES, ttl_seconds=ttl)
    assert outcome.status == "reserved"
    assert outcome.expires_at is not None
    return datetime.fromisoformat(outcome.expires_at)


def _stock(store: DocumentStore) -> dict[str, tuple[int, int, dict[str, int]]]:
    result = {}
    for sku in ("A", "B"):
        item = get_stock(store=store, sku=sku)
        assert item.reserved == sum(item.holds.values())
        result[sku] = (item.on_hand, item.reserved, dict(item.holds))
    return result


def _status(store: DocumentStore, order_id: str = "o1") -> str:
    res = InventoryRepository(store).get_reservation(order_id)
    assert res is not None
    return res.status


CONSUMED: dict[str, tuple[int, int, dict[str, int]]] = {"A": (8, 0, {}), "B": (7, 0, {})}
UNTOUCHED: dict[str, tuple[int, int, dict[str, int]]] = {"A": (10, 0, {}), "B": (10, 0, {})}


def _stock_write(sku: str) -> Any:
    return lambda doc: doc.get("docType") == "stock" and doc.get("sku") == sku


def _status_write(status: str) -> Any:
    return lambda doc: doc.get("docType") == "reservation" and doc.get("status") == status


def test_a_release_during_a_commit_finishes_the_commit(store: DocumentStore) -> None:
    # The old commit consumed A, then a release dropped B's hold (B's on-hand never went down)
    # and the commit still settled "committed": an oversell, and compensation returned both.
    _reserved(store)
    released: list[str] = []

    def compensation() -> None:
        released.append(release(store=store, order_id="o1", reason="cancelled").status)

    wrapped = _InterleavingStore(store, _stock_write("B"), compensation)
    assert commit(store=wrapped, order_id="o1").status == "committed"
    assert released == ["committed"]  # the caller sees the stock left and can return it
    assert _status(store) == "committed"
    assert _stock(store) == CONSUMED


def test_a_commit_during_a_release_is_refused(store: DocumentStore) -> None:
    # The old release dropped A's hold, then a commit consumed B and settled "committed"
    # before the release's settle lost: B sold, A never decremented.
    _reserved(store)
    refused: list[BaseException] = []

    def confirm() -> None:
        with pytest.raises(ReservationNotActive) as info:
            commit(store=store, order_id="o1")
        refused.append(info.value)

    wrapped = _InterleavingStore(store, _stock_write("A"), confirm)
    assert release(store=wrapped, order_id="o1", reason="cancelled").status == "released"
    assert len(refused) == 1
    assert _status(store) == "released"
    assert _stock(store) == UNTOUCHED


def test_the_sweep_between_commit_claim_and_consumption_does_not_release(store: DocumentStore) -> None:
    # The sweep's old release did not re-check anything: it dropped the holds the commit was
    # about to consume. Now a committing reservation is not the sweep's.
    expires = _reserved(store)
    swept: list[int] = []

    def sweep() -> None:
        swept.append(sweep_expired(store=store, now=expires + timedelta(seconds=1)))

    wrapped = _InterleavingStore(store, _stock_write("A"), sweep)
    assert commit(store=wrapped, order_id="o1").status == "committed"
    assert swept == [0]
    assert _status(store) == "committed"
    assert _stock(store) == CONSUMED


def test_a_commit_that_wins_the_claim_before_the_sweep_stands(store: DocumentStore) -> None:
    # The sweep listed the reservation as expired; a commit (with a clock still before the
    # expiry) claims it before the sweep's release does. Only the commit proceeds.
    expires = _reserved(store)

    def confirm() -> None:
        assert commit(store=store, order_id="o1", now=expires - timedelta(seconds=1)).status == "committed"

    wrapped = _InterleavingStore(store, _status_write("releasing"), confirm)
    assert sweep_expired(store=wrapped, now=expires + timedelta(seconds=1)) == 0
    assert _status(store) == "committed"
    assert _stock(store) == CONSUMED


def test_commit_refuses_an_expired_reservation(store: DocumentStore) -> None:
    expires = _reserved(store)
    with pytest.raises(ReservationNotActive):
        commit(store=store, order_id="o1", now=expires + timedelta(seconds=1))
    assert _status(store) == "reserved"
    assert _stock(store) == {"A": (10, 2, {"o1": 2}), "B": (10, 3, {"o1": 3})}
    assert sweep_expired(store=store, now=expires + timedelta(seconds=1)) == 1
    assert _stock(store) == UNTOUCHED


def test_the_sweep_releases_only_if_still_expired_at_claim_time(store: DocumentStore) -> None:
    expires = _reserved(store)
    later = expires + timedelta(seconds=10)

    def extended() -> None:
        # The workflow's extend, with a clock a little behind the sweep's.
        extend(store=store, order_id="o1", ttl_seconds=3600, now=expires - timedelta(seconds=1))

    wrapped = _InterleavingStore(store, _status_write("releasing"), extended)
    assert sweep_expired(store=wrapped, now=later) == 0
    assert _status(store) == "reserved"
    assert _stock(store) == {"A": (10, 2, {"o1": 2}), "B": (10, 3, {"o1": 3})}


def test_a_crashed_commit_is_finished_by_the_next_commit(store: DocumentStore) -> None:
    _reserved(store)
    with pytest.raises(Crash):
        commit(store=_InterleavingStore(store, _stock_write("B"), crash), order_id="o1")
    assert _status(store) == "committing"
    assert _stock(store) == {"A": (8, 0, {}), "B": (10, 3, {"o1": 3})}
    with pytest.raises(ReservationNotActive):
        extend(store=store, order_id="o1", ttl_seconds=3600)
    assert commit(store=store, order_id="o1").status == "committed"
    assert commit(store=store, order_id="o1").status == "committed"
    assert _stock(store) == CONSUMED


def test_a_crashed_commit_then_compensation_reports_committed(store: DocumentStore) -> None:
    _reserved(store)
    with pytest.raises(Crash):
        commit(store=_InterleavingStore(store, _stock_write("B"), crash), order_id="o1")
    assert release(store=store, order_id="o1", reason="processing_error").status == "committed"
    assert _stock(store) == CONSUMED


def test_a_crashed_release_is_finished_by_the_sweep(store: DocumentStore) -> None:
    _reserved(store)
    with pytest.raises(Crash):
        release(store=_InterleavingStore(store, _stock_write("B"), crash), order_id="o1", reason="cancelled")
    assert _status(store) == "releasing"
    assert _stock(store) == {"A": (10, 0, {}), "B": (10, 3, {"o1": 3})}
    with pytest.raises(ReservationNotActive):
        commit(store=store, order_id="o1")
    # The claim pulled the expiry in, so the next sweep picks it up.
    assert sweep_expired(store=store, now=datetime.now(UTC) + timedelta(seconds=1)) == 1
    assert _status(store) == "released"
    assert _stock(store) == UNTOUCHED
    assert release(store=store, order_id="o1").status == "released"


def test_a_crashed_release_is_finished_by_the_next_release(store: DocumentStore) -> None:
    _reserved(store)
    with pytest.raises(Crash):
        release(store=_InterleavingStore(store, _stock_write("A"), crash), order_id="o1", reason="cancelled")
    assert release(store=store, order_id="o1", reason="cancelled").status == "released"
    assert _stock(store) == UNTOUCHED
