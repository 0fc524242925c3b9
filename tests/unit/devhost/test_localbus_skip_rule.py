"""messaging.json `skipWhen`: parsed and checked, stored in the bus file (reopened buses and other
processes filter alike), honoured at publish, and a message without the property still delivered;
the producer side (the order stream) and Bicep's SQL filter name the same property."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from shared.adapters.localbus import LocalBus
from shared.adapters.localbus_topology import TOPOLOGY_FILE, load_topology, parse_topology
from shared.messaging.topology import EVENTS_TOPIC, FRAUD_SUBSCRIPTION
from shared.orders import stream
from shared.orders.fraud_labels import OUTCOME_EVENTS
from shared.ports.messaging import BusMessage

RULE = {"eventTypes": ["OrderConfirmed"], "property": "reviewed", "equals": "false"}


def _topology(skip: object) -> dict[str, object]:
    sub = {"name": "fraud", "eventTypes": ["OrderCreated", "OrderConfirmed"], "skipWhen": skip}
    return {"topic": "t", "subscriptions": [sub, {"name": "all", "eventTypes": ["*"]}]}


def _msg(event_type: str, **props: str) -> BusMessage:
    return BusMessage(
        message_id=f"{event_type}-{sorted(props.items())}",
        body=b"{}",
        subject=event_type,
        application_properties={"type": event_type, **props},
    )


@pytest.mark.parametrize(
    "skip",
    [
        {"eventTypes": [], "property": "reviewed", "equals": "false"},
        {"eventTypes": ["OrderConfirmed"], "property": "re viewed", "equals": "false"},
        {"eventTypes": ["OrderConfirmed"], "property": "reviewed", "equals": "it's"},
        {"eventTypes": ["OrderConfirmed"], "property": "reviewed", "equals": False},
        ["OrderConfirmed"],
    ],
)
def test_a_rule_the_sql_filter_could_not_say_is_refused(skip: object) -> None:
    with pytest.raises(ValueError):
        parse_topology(_topology(skip))


def test_the_bus_file_keeps_the_rule_and_publish_honours_it(tmp_path: Path) -> None:
    LocalBus(tmp_path / "bus.db", parse_topology(_topology(RULE)))
    bus = LocalBus(tmp_path / "bus.db", parse_topology(_topology(RULE)))
    (fraud,) = [e for e in bus.entities() if e.subscription == "fraud"]
    assert fraud.skip is not None and fraud.skip.property == "reviewed"

    bus.publish(
        "t",
        [
            _msg("OrderConfirmed", reviewed="false"),  # skipped
            _msg("OrderConfirmed", reviewed="true"),
            _msg("OrderConfirmed"),  # the producer said nothing: delivered
            _msg("OrderCreated", reviewed="false"),  # not a type the rule names
        ],
    )
    got = [
        (m.message.subject, m.message.application_properties.get("reviewed"))
        for m in bus.receive("t", "fraud", max_count=10)
    ]
    assert sorted(got, key=str) == sorted(
        [("OrderConfirmed", "true"), ("OrderConfirmed", None), ("OrderCreated", "false")], key=str
    )
    assert len(bus.receive("t", "all", max_count=10)) == 4  # other subscriptions get everything


def test_an_old_bus_file_row_without_the_rule_still_reads(tmp_path: Path) -> None:
    bus = LocalBus(tmp_path / "bus.db", parse_topology({"topic": "t", "subscriptions": [{"name": "s"}]}))
    (sub,) = [e for e in bus.entities() if e.subscription == "s"]
    assert sub.skip is None and sub.matches("Anything", {"reviewed": "false"})


def test_producer_consumer_and_bicep_agree_on_the_fraud_rule() -> None:
    spec = load_topology().find(EVENTS_TOPIC, FRAUD_SUBSCRIPTION)
    assert spec is not None and spec.skip is not None
    assert spec.skip.property == stream.REVIEWED and spec.skip.equals == "false"
    assert set(spec.skip.event_types) == set(stream.REVIEWED_EVENTS) == set(OUTCOME_EVENTS)
    raw = json.loads(Path(TOPOLOGY_FILE).read_text())
    assert any("skipWhen" in s for s in raw["subscriptions"])
    bicep = (Path(TOPOLOGY_FILE).parent / "modules" / "servicebus.bicep").read_text()
    assert "EXISTS(user.${sub.?skipWhen.?property})" in bicep  # a missing property is delivered


def test_search_does_not_receive_inventory_committed_which_leaves_availability_unchanged() -> None:
    """A commit consumes the order's holds: on hand and reserved fall together, so `available`
    (all the search index keeps of stock: in stock or not) cannot change."""
    search = load_topology().find(EVENTS_TOPIC, "search")
    assert search is not None and search.matches("InventoryReserved") and search.matches("InventoryReleased")
    assert search.matches("InventoryAdjusted") and not search.matches("InventoryCommitted")
