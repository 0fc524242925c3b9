"""The bus names every producer and consumer uses: one constant each, not literals per module.

infra/messaging.json declares the same entities (with their filters) for Azure and for devhost's
local bus (shared.adapters.localbus_topology reads it); tests/unit/test_messaging_topology.py
checks the two agree. A context adding a subscription adds its name here and in that file.
"""

from __future__ import annotations

# The one topic every domain event is relayed to (SERVICEBUS_TOPIC defaults to it).
EVENTS_TOPIC = "smartcommerce-events"

# Subscriptions on EVENTS_TOPIC, one per consumer.
NOTIFICATIONS_SUBSCRIPTION = "notifications"
NOTIFICATIONS_REALTIME_SUBSCRIPTION = "notifications-realtime"
FRAUD_SUBSCRIPTION = "fraud"

# Queues: commands addressed to one consumer.
NOTIFICATION_COMMANDS_QUEUE = "notification-commands"
