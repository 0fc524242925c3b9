"""Fraud's event consumers (subscription `fraud` on the events topic, infra/messaging.json):

- `OrderCreated` / `PaymentAuthorized`: scored again for monitoring, the score recorded
  (shared.orders.fraud_monitoring);
- `OrderConfirmed` / `OrderRejected`: a person's review decision becomes a label for retraining
  (shared.orders.fraud_labels).

Thin: parse the CloudEvent, hand it to the context. A malformed message is logged and acknowledged
(redelivering it cannot fix it); any other exception abandons it, so the bus redelivers and
dead-letters it after the subscription's maxDeliveryCount. Both handlers dedupe on the event id.
"""

from __future__ import annotations

import logging

import azure.functions as func
from pydantic import ValidationError

from shared.messaging.events import CloudEvent
from shared.messaging.topology import EVENTS_TOPIC, FRAUD_SUBSCRIPTION

log = logging.getLogger("smartcommerce.fraud")

bp = func.Blueprint()

TOPIC = EVENTS_TOPIC
SUBSCRIPTION = FRAUD_SUBSCRIPTION


def handle_event(body: bytes | str) -> None:
    """Route one event to monitoring or labelling (also what tests and tools call)."""
    try:
        event = CloudEvent.from_json(body)
    except ValidationError:
        log.error("fraud: dropping a message that is not a CloudEvent")
        return
    # Imported on first delivery: the HTTP cold start does not pay for onnxruntime here.
    from shared.composition import get_fraud_scorer, get_order_deps
    from shared.orders.fraud_labels import OUTCOME_EVENTS, label_from_outcome
    from shared.orders.fraud_monitoring import MONITORED_EVENTS, score_event

    if event.type in MONITORED_EVENTS:
        score_event(event, deps=get_order_deps(), scorer=get_fraud_scorer())
    elif event.type in OUTCOME_EVENTS:
        label_from_outcome(event, deps=get_order_deps())


@bp.service_bus_topic_trigger(
    arg_name="msg", topic_name=TOPIC, subscription_name=SUBSCRIPTION, connection="SERVICEBUS"
)
def on_fraud_event(msg: func.ServiceBusMessage) -> None:
    handle_event(msg.get_body())
