"""Reservation expiry: the sweep that releases reservations whose order workflow died, and
`extend` for a workflow that legitimately waits longer than the TTL (an order in review).

The two are safe together without a lock: the sweep's release claims a reservation (conditional
ETag write) only if it is still past its expiry at that moment, and `extend` refuses what is
already past it, so a reservation the sweep may be releasing is never
reported as kept.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.inventory.repository import InventoryRepository
from shared.inventory.reservations import ReservationNotActive, ReservationOutcome, outcome_of, release
from shared.kernel.errors import NotFound
from shared.ports.documents import DocumentStore
from shared.storage.retry import retry_on_conflict

ROUNDS = 20


def extend(
    *,
    store: DocumentStore,
    order_id: str,
    ttl_seconds: int | None = None,
    until: datetime | None = None,
    now: datetime | None = None,
) -> ReservationOutcome:
    """Keep the order's stock held until `until` (or `ttl_seconds` from now; never shortens), for
    a workflow that waits longer than the default TTL, e.g. for a person's fraud review. A fixed
    `until` makes a repeated call (an activity retried after a crash) set the same expiry. 404
    without a reservation; 409 `reservation_not_active` if it is not held or already past its
    expiry: the sweep may be releasing it, so it cannot be kept any more."""
    if (ttl_seconds is None) == (until is None):
        raise ValueError("give exactly one of ttl_seconds and until")
    repo = InventoryRepository(store)

    def attempt() -> ReservationOutcome:
        at = now or datetime.now(UTC)
        res = repo.get_reservation(order_id)
        if res is None:
            raise NotFound(f"no reservation for order {order_id}")
        if res.status == "committed":
            return outcome_of(res)
        if res.status != "reserved" or res.expires_at <= at:
            raise ReservationNotActive(f"the reservation of order {order_id} is {res.status} or expired")
        target = until if until is not None else at + timedelta(seconds=ttl_seconds or 0)
        if res.expires_at >= target:
            return outcome_of(res)
        res.expires_at, res.updated_at = target, at
        return outcome_of(repo.save_reservation(res))

    def exhausted() -> ReservationOutcome:
        raise ReservationNotActive(f"the reservation of order {order_id} kept changing")

    return retry_on_conflict(attempt, attempts=ROUNDS, backoff=False, exhausted=exhausted)


def sweep_expired(*, store: DocumentStore, now: datetime | None = None, limit: int = 100) -> int:
    """Release reservations past their expiry (the workflow that owned them died). The count."""
    repo = InventoryRepository(store)
    count = 0
    at = now or datetime.now(UTC)
    for res in repo.expired_reservations(at, limit):
        # Only if still expired when the release claims it (an `extend` since the query wins);
        # a `releasing` left by a crashed release is finished here.
        outcome = release(store=store, order_id=res.order_id, reason="expired", expired_at=at)
        count += outcome.status == "released"
    return count
