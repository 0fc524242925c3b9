"""The order workflow end to end in-process: real orchestrator, activities, SQLite, sandbox."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from shared.adapters.local_publisher import LocalBusPublisher
from shared.adapters.localbus import LocalBus, load_topology
from shared.inventory.repository import InventoryRepository
from shared.messaging.relay import OutboxRelay
from shared.orders.deps import OrderDeps
from shared.orders.steps import NOTIFICATION_QUEUE
from tests.integration.orders.harness import (
    BLOCKED,
    DECLINED,
    HIGHEST,
    NO_FUNDS,
    PROCESSING_ERROR,
    Workflow,
    charges,
    levels,
    order_body,
    seed_product,
)

Run = Callable[..., Any]


def status(deps: OrderDeps, order_id: str) -> str:
    loaded = deps.stream.load(order_id)
    assert loaded is not None
    return loaded.state.status


def event_types(deps: OrderDeps, order_id: str) -> list[str]:
    return [e["type"] for e in deps.stream.events(order_id)]


def test_approved_order_confirms_captures_and_consumes_stock(
    deps: OrderDeps, run: Run, tmp_path: Any
) -> None:
    seed_product(deps, "SKU-A", price="12.50", on_hand=5)
    body = order_body(deps, "SKU-A", quantity=2)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        assert (await wf.finish(order_id))["runtimeStatus"] == "Completed"
        return order_id

    order_id = run(scenario)
    loaded = deps.stream.load(order_id)
    assert loaded is not None
    order = loaded.state
    assert order.status == "confirmed" and order.total.amount == 25
    assert order.payment is not None and order.payment.status == "captured"
    assert order.fraud is not None and order.fraud.decision == "approve" and order.fraud.model_version is None
    assert levels(deps, "SKU-A") == (3, 0)
    assert charges(deps, order_id) == [("sandbox", "authorize"), ("sandbox", "capture")]
    assert event_types(deps, order_id) == [
        "OrderCreated",
        "InventoryReserved",
        "PaymentAuthorized",
        "FraudChecked",
        "PaymentCaptured",
        "OrderConfirmed",
        "InventoryCommitted",
        "NotificationRequested",
    ]
    # The confirmation command waits in the outbox with the confirmation until the relay sends it.
    bus = LocalBus(tmp_path / "data" / "bus.db", load_topology())
    assert bus.count(NOTIFICATION_QUEUE) == 0
    relay = OutboxRelay(deps.store, LocalBusPublisher(bus))
    relay.run_once()
    assert bus.count(NOTIFICATION_QUEUE) == 1
    relay.run_once()
    [leased] = bus.receive(NOTIFICATION_QUEUE, None, max_count=10)
    command = json.loads(leased.message.body)
    assert leased.message.message_id == command["commandId"] == f"{order_id}:notify:order_confirmed"
    assert command["type"] == "SendOrderConfirmation" and command["data"]["kind"] == "order_confirmed"
    order_sent = command["data"]["order"]
    assert order_sent["status"] == "confirmed" and "paymentToken" not in order_sent
    # The read models agree with the stream head.
    assert deps.stream.orders.read(order_id, order_id)["status"] == "confirmed"
    assert deps.stream.lists.read(order_id, order.customer_id)["status"] == "confirmed"


def test_declined_card_ends_payment_failed_with_stock_back(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-D", on_hand=3)
    bodies = [order_body(deps, "SKU-D", DECLINED), order_body(deps, "SKU-D", NO_FUNDS)]

    async def scenario(wf: Workflow) -> list[str]:
        ids = [wf.place(b) for b in bodies]
        for order_id in ids:
            await wf.finish(order_id)
        return ids

    for order_id in run(scenario):
        assert status(deps, order_id) == "payment_failed"
        assert charges(deps, order_id) == [("sandbox", "authorize")]
        assert InventoryRepository(deps.store).get_reservation(order_id).status == "released"  # type: ignore[union-attr]
    assert levels(deps, "SKU-D") == (3, 0)


def test_insufficient_stock_is_out_of_stock_with_nothing_charged(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-S", on_hand=1)
    body = order_body(deps, "SKU-S", quantity=2)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.finish(order_id)
        return order_id

    order_id = run(scenario)
    assert status(deps, order_id) == "out_of_stock"
    assert charges(deps, order_id) == [] and levels(deps, "SKU-S") == (1, 0)


def test_review_approved_confirms_and_rejected_voids_and_releases(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-R", on_hand=4)
    first, second = order_body(deps, "SKU-R", HIGHEST), order_body(deps, "SKU-R", HIGHEST)

    async def scenario(wf: Workflow) -> tuple[str, str]:
        a, b = wf.place(first), wf.place(second)
        await wf.until(a, "awaiting_review")
        await wf.until(b, "awaiting_review")
        assert levels(deps, "SKU-R") == (4, 2)
        wf.decide(a, "approve")
        wf.decide(b, "reject")
        await wf.finish(a)
        await wf.finish(b)
        return a, b

    a, b = run(scenario)
    assert status(deps, a) == "confirmed" and status(deps, b) == "rejected"
    assert charges(deps, a) == [("sandbox", "authorize"), ("sandbox", "capture")]
    assert charges(deps, b) == [("sandbox", "authorize"), ("sandbox", "void")]
    assert levels(deps, "SKU-R") == (3, 0)
    assert "OrderAwaitingReview" in event_types(deps, b) and event_types(deps, b)[-1] == "OrderRejected"


def test_review_timeout_rejects(deps: OrderDeps, run: Run) -> None:
    deps.review_timeout_seconds = 1
    seed_product(deps, "SKU-T", on_hand=2)
    body = order_body(deps, "SKU-T", HIGHEST)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.finish(order_id, timeout=20)
        return order_id

    order_id = run(scenario)
    assert status(deps, order_id) == "rejected"
    review = deps.stream.load(order_id).state.review  # type: ignore[union-attr]
    assert review is not None and review["timedOut"] is True
    assert levels(deps, "SKU-T") == (2, 0)


def test_blocked_card_is_rejected_and_voided(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-B", on_hand=2)
    body = order_body(deps, "SKU-B", BLOCKED)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.finish(order_id)
        return order_id

    order_id = run(scenario)
    assert status(deps, order_id) == "rejected"
    assert charges(deps, order_id) == [("sandbox", "authorize"), ("sandbox", "void")]
    assert levels(deps, "SKU-B") == (2, 0)


def test_processing_error_card_confirms_through_the_fallback(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-F", on_hand=2)
    body = order_body(deps, "SKU-F", PROCESSING_ERROR)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.finish(order_id)
        return order_id

    order_id = run(scenario)
    assert status(deps, order_id) == "confirmed"
    assert charges(deps, order_id) == [("sandbox-fallback", "authorize"), ("sandbox-fallback", "capture")]
