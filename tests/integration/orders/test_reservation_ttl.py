"""The reservation TTL through the real workflow: an order reserves with the short inventory TTL
(a reservation whose workflow died frees its stock soon); an order sent to review has its
reservation extended for the review wait plus a margin, so the sweep leaves it alone."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from shared import composition
from shared.inventory import reservations
from shared.inventory.expiry import sweep_expired
from shared.inventory.model import Reservation
from shared.inventory.repository import InventoryRepository
from shared.orders import steps
from shared.orders.deps import OrderDeps
from shared.orders.service import place_order
from shared.settings import get_settings
from tests.integration.orders.harness import (
    APPROVED,
    CUSTOMER,
    HIGHEST,
    Workflow,
    levels,
    order_body,
    seed_product,
)

Run = Callable[..., Any]
SHORT = 900


def _reservation(deps: OrderDeps, order_id: str) -> Reservation:
    res = InventoryRepository(deps.store).get_reservation(order_id)
    assert res is not None
    return res


def test_the_process_deps_reserve_with_the_short_ttl(deps: OrderDeps) -> None:
    composition.override(order_deps=None)
    try:
        built = composition.get_order_deps()
        assert built.reservation_ttl_seconds == get_settings().inventory_reservation_ttl_seconds
    finally:
        composition.override(order_deps=deps)


def test_a_normal_order_reserves_with_the_short_ttl(deps: OrderDeps, run: Run) -> None:
    assert deps.reservation_ttl_seconds == SHORT
    deps.review_timeout_seconds = 3600
    seed_product(deps, "SKU-N", on_hand=3)
    body = order_body(deps, "SKU-N", APPROVED)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.finish(order_id)
        return order_id

    order_id = run(scenario)
    res = _reservation(deps, order_id)
    assert res.status == "committed"
    assert res.expires_at - res.created_at == timedelta(seconds=SHORT)
    assert levels(deps, "SKU-N") == (2, 0)


def test_a_review_order_has_its_reservation_extended(deps: OrderDeps, run: Run) -> None:
    deps.review_timeout_seconds = 3600
    seed_product(deps, "SKU-V", on_hand=3)
    body = order_body(deps, "SKU-V", HIGHEST)

    async def scenario(wf: Workflow) -> tuple[str, Reservation, int]:
        order_id = wf.place(body)
        await wf.until(order_id, "awaiting_review")
        for _ in range(500):  # the extend activity runs right after the fraud check is recorded
            res = _reservation(deps, order_id)
            if res.expires_at - res.created_at > timedelta(seconds=SHORT):
                break
            await asyncio.sleep(0.02)
        # Past the short TTL, the sweep must leave a reservation in review alone.
        swept = sweep_expired(store=deps.store, now=datetime.now(UTC) + timedelta(seconds=SHORT + 60))
        wf.decide(order_id, "approve")
        await wf.finish(order_id)
        return order_id, res, swept

    order_id, during_review, swept = run(scenario)
    assert during_review.status == "reserved"
    held_for = during_review.expires_at - during_review.created_at
    # the review wait (3600 s, from the workflow's clock) plus one short TTL of margin
    assert timedelta(seconds=3600 + SHORT - 30) <= held_for <= timedelta(seconds=3600 + SHORT + 30)
    assert swept == 0
    assert _reservation(deps, order_id).status == "committed"
    assert levels(deps, "SKU-V") == (2, 0)


def test_the_extend_step_is_idempotent_and_reports_a_lost_reservation(deps: OrderDeps) -> None:
    seed_product(deps, "SKU-E", on_hand=3)
    placed = place_order(deps, CUSTOMER, order_body(deps, "SKU-E", HIGHEST), None)
    order_id = placed.order_id
    assert steps.reserve(deps, order_id)["ok"]
    deadline = datetime.now(UTC) + timedelta(seconds=3600)
    first = steps.extend_for_review(deps, order_id, deadline.isoformat())
    again = steps.extend_for_review(deps, order_id, deadline.isoformat())  # a retried activity
    assert first["status"] == again["status"] == "extended"
    assert first["expiresAt"] == again["expiresAt"]
    assert _reservation(deps, order_id).expires_at == deadline + timedelta(seconds=SHORT)

    reservations.release(store=deps.store, order_id=order_id, reason="expired")
    lost = steps.extend_for_review(deps, order_id, deadline.isoformat())
    assert lost == {"status": "reservation_lost", "cancelRequested": False}
    assert levels(deps, "SKU-E") == (3, 0)
