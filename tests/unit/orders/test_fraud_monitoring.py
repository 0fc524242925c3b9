"""The fraud subscription's consumer: monitoring scores for OrderCreated / PaymentAuthorized."""

from __future__ import annotations

import json
from pathlib import Path

from functions.fraud_monitoring import handle_event
from shared.orders.fraud_monitoring import scores_container, scores_for_order
from shared.ports.documents import Query
from tests.integration.orders.harness import BLOCKED
from tests.unit.fraud.orders_world import World, cloud_event


def test_both_events_are_scored_and_recorded_once_each(world: World) -> None:
    order_id = world.waiting()  # provider signal `highest`: the workflow asked for a review
    created = cloud_event("OrderCreated", order_id, customerId="cust-1", status="pending", order={})
    authorized = cloud_event(
        "PaymentAuthorized", order_id, paymentId="pay-1", amount={"amount": "20.00", "currency": "USD"}
    )
    for event in (created, authorized, created, authorized):  # at-least-once delivery
        handle_event(event.to_json().encode())
    records = scores_for_order(world.deps.store, order_id)
    assert sorted(r["eventType"] for r in records) == ["OrderCreated", "PaymentAuthorized"]
    by_type = {r["eventType"]: r for r in records}
    paid = by_type["PaymentAuthorized"]
    assert paid["eventId"] == authorized.id and paid["orderId"] == order_id
    # The provider's signal comes from the payment itself; the rules floor makes it a review.
    assert paid["input"]["providerSignal"] == "highest"
    assert paid["decision"] == "review" and "rule:provider_highest" in paid["reasons"]
    assert paid["modelVersion"] is None  # no model registered in this world: rules only
    assert paid["input"]["amount"] == {"amount": "20.00", "currency": "USD"}


def test_a_blocked_payment_is_recorded_as_a_reject(world: World) -> None:
    order_id = world.order(card=BLOCKED)
    assert world.status(order_id) == "rejected"
    handle_event(cloud_event("PaymentAuthorized", order_id, paymentId="p").to_json())
    (record,) = scores_for_order(world.deps.store, order_id)
    assert record["decision"] == "reject" and record["score"] >= 0.9


def test_unknown_orders_other_types_and_garbage_record_nothing(world: World) -> None:
    handle_event(cloud_event("OrderCreated", "ord_missing").to_json())
    order_id = world.order()
    handle_event(cloud_event("OrderShipped", order_id).to_json())  # not the fraud context's business
    handle_event(b"{not json")
    handle_event(b'{"hello": "world"}')
    assert scores_container(world.deps.store).query_all(Query()) == []


def test_the_trigger_listens_on_the_fraud_subscription_of_messaging_json() -> None:
    import azure.functions as func

    from functions import fraud_monitoring
    from shared.adapters.localbus_topology import load_topology
    from shared.orders.fraud_labels import OUTCOME_EVENTS
    from shared.orders.fraud_monitoring import MONITORED_EVENTS

    app = func.FunctionApp()
    app.register_functions(fraud_monitoring.bp)
    (fn,) = app.get_functions()
    trigger = next(
        b.get_dict_repr() for b in fn.get_bindings() if b.get_dict_repr()["type"] == "serviceBusTrigger"
    )
    assert (trigger["topicName"], trigger["subscriptionName"]) == ("smartcommerce-events", "fraud")
    spec = json.loads((Path(__file__).parents[3] / "infra" / "messaging.json").read_text())
    (sub,) = [s for s in spec["subscriptions"] if s["name"] == "fraud"]
    assert set(sub["eventTypes"]) == {*MONITORED_EVENTS, *OUTCOME_EVENTS}
    local = load_topology().find("smartcommerce-events", "fraud")  # what devhost's bus delivers
    assert local is not None and local.matches("PaymentAuthorized") and not local.matches("OrderShipped")
