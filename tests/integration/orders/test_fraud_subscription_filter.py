"""The fraud subscription's `skipWhen` rule (infra/messaging.json, round 3 of docs/performance.md):
an order nobody reviewed publishes OrderConfirmed with `reviewed: "false"` and the fraud
subscription does not receive it (its consumer labels only reviewed orders); a reviewed order's
OrderConfirmed still reaches it and is labelled, and every other subscription gets both."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from functions.fraud_monitoring import handle_event
from shared.adapters.localbus import LocalBus
from shared.messaging.events import CloudEvent
from shared.messaging.relay import OutboxRelay
from shared.messaging.topology import EVENTS_TOPIC, FRAUD_SUBSCRIPTION, SALES_SUBSCRIPTION
from shared.orders.deps import OrderDeps
from shared.orders.fraud_labels import labels_container
from tests.integration.orders.harness import HIGHEST, Workflow, order_body, seed_product

Run = Callable[..., Any]


def _drain(bus: LocalBus, subscription: str) -> list[CloudEvent]:
    events = []
    while leased := bus.receive(EVENTS_TOPIC, subscription, max_count=50):
        for m in leased:
            assert "reviewed" not in json.loads(m.message.body)  # the envelope is unchanged
            events.append(CloudEvent.from_message(m.message))
            bus.complete(m.lock_token)
    return events


def test_only_reviewed_outcomes_reach_the_fraud_subscription(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-R", on_hand=5)
    plain, risky = order_body(deps, "SKU-R"), order_body(deps, "SKU-R", HIGHEST)

    async def scenario(wf: Workflow) -> tuple[str, str]:
        auto = wf.place(plain)
        reviewed = wf.place(risky)
        await wf.until(reviewed, "awaiting_review")
        wf.decide(reviewed, "approve")
        for order_id in (auto, reviewed):
            assert (await wf.finish(order_id))["output"] == "confirmed"
        return auto, reviewed

    auto, reviewed = run(scenario)
    OutboxRelay(deps.store, deps.publisher).run_once()
    bus: LocalBus = deps.publisher.bus  # type: ignore[attr-defined]

    sales = {(e.type, e.subject) for e in _drain(bus, SALES_SUBSCRIPTION)}
    assert {("OrderConfirmed", auto), ("OrderConfirmed", reviewed)} <= sales

    fraud = _drain(bus, FRAUD_SUBSCRIPTION)
    seen = {(e.type, e.subject) for e in fraud}
    assert ("OrderConfirmed", reviewed) in seen  # its message said reviewed: "true"
    assert ("OrderConfirmed", auto) not in seen  # the old topology delivered it
    assert {("OrderCreated", auto), ("OrderCreated", reviewed)} <= seen  # monitoring still scores both
    for event in fraud:
        handle_event(event.to_json())
    labels = labels_container(deps.store)
    assert labels.read(reviewed, reviewed)["isFraud"] == 0  # the reviewed order is still labelled
