"""Reservations: what the order workflow calls (as activities) to hold, release and consume stock.

An order's lines live in different partitions (one per sku), so "all or nothing" cannot be one
transaction. It is a small saga recorded in the order's reservation document:

1. the document is created `pending` (idempotency: a second `reserve` for the order finds it);
2. each sku gets a hold keyed by the order id (idempotent: a held sku is not held twice);
3. if a sku is short, the document ends `failed` and then every hold of the order is dropped;
   otherwise it ends `reserved`, with `InventoryReserved` in the same write.

A crash between the steps leaves a `pending` document with an expiry: a retry of `reserve`
resumes it, and otherwise the sweep releases it (a crash after `failed` but before its holds are
dropped is cleaned up by the activity's retry, which finds the document failed). Releasing and
committing claim the document first (`releasing` / `committing`, a conditional write on its ETag)
and only then touch the holds, then write the final status: exactly one of a racing release and
commit gets the claim, the holds steps are idempotent (a claimed order's holds are touched by
nobody else), and a crash after the claim is finished by the next call (a `committing` by the
next commit or release, a `releasing` by the next release or the expiry sweep). Calling either
twice changes nothing the second time. Whenever a final status write loses a race (a release beat
a reserve), the loser re-reads and, if the order's stock must not stay held, drops its holds again
(idempotently), so no hold outlives its reservation.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.inventory.events import InventoryCommitted, InventoryReleased, InventoryReserved, ReservedLine
from shared.inventory.model import (
    InsufficientStock,
    Reservation,
    ReservationLine,
    ReservationStatus,
    iso,
    merge_lines,
)
from shared.inventory.repository import InventoryRepository
from shared.inventory.service import stock_low_event
from shared.kernel.errors import Conflict, NotFound
from shared.messaging.events import new_event
from shared.ports.documents import BatchFailed, DocumentExists, DocumentStore, ETagMismatch
from shared.settings import get_settings
from shared.storage.retry import TryAgain, is_write_conflict, retry_on_conflict

_HELD = ("pending", "reserved")
_ROUNDS = 20


class ReservationNotActive(Conflict):
    code = "reservation_not_active"
    title = "Reservation is not active"


@dataclass(frozen=True)
class ReservationOutcome:
    """The result an activity returns (`to_dict()` is plain JSON for the orchestration)."""

    order_id: str
    status: ReservationStatus
    lines: list[ReservationLine]
    failed_skus: list[str] = field(default_factory=list)
    expires_at: str | None = None

    @property
    def ok(self) -> bool:
        return self.status in ("reserved", "committing", "committed")

    def to_dict(self) -> dict[str, Any]:
        return {
            "orderId": self.order_id,
            "status": self.status,
            "ok": self.ok,
            "lines": [{"sku": x.sku, "quantity": x.quantity} for x in self.lines],
            "failedSkus": list(self.failed_skus),
            "expiresAt": self.expires_at,
        }


def outcome_of(res: Reservation) -> ReservationOutcome:
    """What a call returns for the reservation as stored."""
    return ReservationOutcome(res.order_id, res.status, res.lines, res.failed_skus, iso(res.expires_at))


def _lines_data(lines: list[ReservationLine]) -> list[ReservedLine]:
    return [ReservedLine(sku=x.sku, quantity=x.quantity) for x in lines]


def _hold(repo: InventoryRepository, order_id: str, line: ReservationLine) -> None:
    def attempt() -> None:
        item = repo.get_stock(line.sku)
        if item is None:
            raise InsufficientStock(f"unknown sku {line.sku}")
        was_low = item.is_low
        if item.hold(order_id, line.quantity):
            repo.save_stock(item, events=stock_low_event(item, was_low))

    retry_on_conflict(attempt)


def _unhold(repo: InventoryRepository, order_id: str, sku: str, *, consume: bool) -> None:
    def attempt() -> None:
        item = repo.get_stock(sku)
        if item is None or order_id not in item.holds:
            return
        if consume:
            item.consume(order_id)
        else:
            item.release(order_id)
        repo.save_stock(item)

    retry_on_conflict(attempt)


def _drop_holds(repo: InventoryRepository, res: Reservation) -> None:
    for line in res.lines:
        _unhold(repo, res.order_id, line.sku, consume=False)


def _settle(
    repo: InventoryRepository, res: Reservation, status: ReservationStatus, **changes: Any
) -> tuple[Reservation, bool]:
    """Write the final status: (saved, True); on a lost race (the winner's document, False)."""
    event: Any = changes.pop("event", None)
    res.status = status
    res.updated_at = datetime.now(UTC)
    for key, value in changes.items():
        setattr(res, key, value)
    try:
        return repo.save_reservation(res, events=[event] if event is not None else []), True
    except (BatchFailed, ETagMismatch) as exc:
        if not is_write_conflict(exc):
            raise
        latest = repo.get_reservation(res.order_id)
        assert latest is not None
        return latest, False


def reserve(
    *,
    store: DocumentStore,
    order_id: str,
    lines: list[ReservationLine],
    ttl_seconds: int | None = None,
    now: datetime | None = None,
) -> ReservationOutcome:
    """Hold every line for the order, or none. Idempotent per order id: the first call's lines
    and result stand; later calls return them."""
    repo = InventoryRepository(store)
    at = now or datetime.now(UTC)
    ttl = ttl_seconds if ttl_seconds is not None else get_settings().inventory_reservation_ttl_seconds
    # Create first: the usual call is the first for its order, and a create that finds the
    # document already there is the idempotency check (one write, no read of a missing item).
    fresh = Reservation(order_id, merge_lines(lines), "pending", at + timedelta(seconds=ttl), at, at)
    try:
        res: Reservation | None = repo.create_reservation(fresh)
    except (BatchFailed, DocumentExists) as exc:
        if not is_write_conflict(exc):
            raise
        res = repo.get_reservation(order_id)
    assert res is not None
    # The latest document a round saw: the next round decides on it (a settle returns the winner's).
    latest: Reservation = res

    def attempt() -> ReservationOutcome:
        nonlocal latest
        res = latest
        if res.status != "pending":
            if res.status in ("failed", "releasing", "released"):
                _drop_holds(repo, res)  # a concurrent loser may have left one behind
            return outcome_of(res)
        failed: list[str] = []
        for line in res.lines:
            try:
                _hold(repo, order_id, line)
            except InsufficientStock:
                failed.append(line.sku)
                break
        if failed:
            # Settle first, drop the holds after. Holds are keyed by order, so a concurrent reserve
            # of this order shares them; dropping them while the document is still pending could
            # pull them from under that call's winning "reserved" (a reservation without its
            # stock). Now it loses its settle and drops its holds; if it won first, ours lose and
            # we keep its holds. A crash right here leaves holds of a failed reservation: the
            # activity's retry finds it failed and drops them (top of the loop).
            latest, won = _settle(repo, res, "failed", failed_skus=failed, reason="insufficient_stock")
            if won:
                _drop_holds(repo, latest)  # every line: a concurrent call may have held others
                return outcome_of(latest)  # nothing of this order is held any more
        else:
            event = InventoryReserved(
                order_id=order_id, lines=_lines_data(res.lines), expires_at=iso(res.expires_at)
            )
            latest, _ = _settle(repo, res, "reserved", event=new_event(event, subject=order_id))
        raise TryAgain  # decide again on the document the settle left

    return retry_on_conflict(
        attempt, attempts=_ROUNDS, backoff=False, conflicts=(), exhausted=lambda: outcome_of(latest)
    )


def _claim(
    repo: InventoryRepository, res: Reservation, status: ReservationStatus, **changes: Any
) -> tuple[Reservation, bool]:
    """Conditionally (ETag) move a `pending`/`reserved` document to a claim state; (doc, won)."""
    return _settle(repo, res, status, **changes)


def _finish_release(repo: InventoryRepository, res: Reservation) -> Reservation:
    """Drop the holds of a `releasing` reservation and write `released`. Idempotent, resumable."""
    _drop_holds(repo, res)
    reason = res.reason or "released"
    event = new_event(
        InventoryReleased(order_id=res.order_id, lines=_lines_data(res.lines), reason=reason),
        subject=res.order_id,
    )
    settled, _ = _settle(repo, res, "released", event=event)
    return settled


def _finish_commit(repo: InventoryRepository, res: Reservation) -> Reservation:
    """Consume the holds of a `committing` reservation and write `committed`. Idempotent and
    resumable: while the document is `committing` nothing else touches the order's holds, so a
    hold that is gone was consumed by an earlier (crashed or concurrent) run of this step."""
    for line in res.lines:
        _unhold(repo, res.order_id, line.sku, consume=True)
    event = new_event(
        InventoryCommitted(order_id=res.order_id, lines=_lines_data(res.lines)), subject=res.order_id
    )
    settled, _ = _settle(repo, res, "committed", event=event)
    return settled


def release(
    *,
    store: DocumentStore,
    order_id: str,
    reason: str = "released",
    expired_at: datetime | None = None,
) -> ReservationOutcome:
    """Give the order's holds back. Idempotent; a release before any reserve leaves a `released`
    tombstone so that a late reserve for that order holds nothing.

    The reservation is claimed first (`releasing`, conditional on the ETag of the document read),
    and only then are the holds dropped, so a concurrent `commit` either claimed it before (this
    call then finishes that commit and reports `committed`) or finds it `releasing` and refuses.
    With `expired_at` (the sweep), the claim is made only if the reservation is still past its
    expiry at that moment: an `extend` in between wins."""
    repo = InventoryRepository(store)

    def attempt() -> ReservationOutcome:
        res = repo.get_reservation(order_id)
        if res is None:
            if expired_at is not None:
                raise NotFound(f"no reservation for order {order_id}")
            at = datetime.now(UTC)
            # A concurrent first write (BatchFailed/DocumentExists) is a conflict: decide again.
            return outcome_of(
                repo.create_reservation(Reservation(order_id, [], "released", at, at, at, reason=reason))
            )
        if res.status == "failed":
            # A failed reserve drops its holds after recording `failed`; if it crashed in
            # between, this release (the workflow's compensation) finishes that. Idempotent.
            _drop_holds(repo, res)
            return outcome_of(res)
        if res.status in _HELD:
            if expired_at is not None and res.expires_at > expired_at:
                return outcome_of(res)  # extended since the sweep listed it: not ours to release
            at = datetime.now(UTC)
            res, won = _claim(repo, res, "releasing", reason=reason, expires_at=min(res.expires_at, at))
            if not won:
                raise TryAgain  # re-read and decide again
        if res.status == "releasing":
            settled = _finish_release(repo, res)
            if settled.status == "released":
                return outcome_of(settled)
            raise TryAgain
        if res.status == "committing":
            # A commit claimed it first (and maybe crashed): the stock is being consumed for the
            # order; finish that so the caller sees `committed` and can return the stock.
            settled = _finish_commit(repo, res)
            if settled.status == "committed":
                return outcome_of(settled)
            raise TryAgain
        return outcome_of(res)

    def exhausted() -> ReservationOutcome:
        res = repo.get_reservation(order_id)
        assert res is not None
        return outcome_of(res)

    return retry_on_conflict(
        attempt, attempts=_ROUNDS, backoff=False, conflicts=(BatchFailed, DocumentExists), exhausted=exhausted
    )


def commit(*, store: DocumentStore, order_id: str, now: datetime | None = None) -> ReservationOutcome:
    """Consume the order's holds (on-hand and reserved both go down). Idempotent; 404 without a
    reservation, 409 `reservation_not_active` if it was released, failed or expired.

    The reservation is claimed first (`committing`, conditional on the ETag of the document read)
    and only then are the holds consumed, so a concurrent release either claimed it before (this
    call refuses) or finds it `committing`. An expired reservation is refused: the sweep may be
    releasing it. A `committing` left by a crash is finished here."""
    repo = InventoryRepository(store)

    def attempt() -> ReservationOutcome:
        at = now or datetime.now(UTC)
        res = repo.get_reservation(order_id)
        if res is None:
            raise NotFound(f"no reservation for order {order_id}")
        if res.status == "committed":
            return outcome_of(res)
        if res.status == "reserved":
            if res.expires_at <= at:
                raise ReservationNotActive(f"the reservation of order {order_id} expired")
            res, won = _claim(repo, res, "committing")
            if not won:
                raise TryAgain
        if res.status != "committing":
            raise ReservationNotActive(f"the reservation of order {order_id} is {res.status}")
        settled = _finish_commit(repo, res)
        if settled.status == "committed":
            return outcome_of(settled)
        raise TryAgain

    def exhausted() -> ReservationOutcome:
        raise ReservationNotActive(f"the reservation of order {order_id} kept changing")

    return retry_on_conflict(attempt, attempts=_ROUNDS, backoff=False, conflicts=(), exhausted=exhausted)


__all__ = ["ReservationOutcome", "commit", "outcome_of", "release", "reserve"]
