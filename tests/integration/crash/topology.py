"""The bus topology the crash test's processes share: one topic, one catch-all subscription."""

from shared.adapters.localbus_topology import EntitySpec, Topology

TOPIC = "events"
TOPOLOGY = Topology(topic=TOPIC, entities=(EntitySpec(TOPIC, "all"),))
