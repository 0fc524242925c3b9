"""The Azure bindings the notifications functions declare (what the Functions host will read)."""

from __future__ import annotations

from typing import Any

import azure.functions as func

from functions import notifications


def _bindings() -> dict[str, list[dict[str, Any]]]:
    app = func.FunctionApp()
    app.register_functions(notifications.bp)
    found: dict[str, list[dict[str, Any]]] = {}
    for fn in app.get_functions():
        found[str(fn.get_function_name())] = [dict(b.get_dict_repr()) for b in fn.get_bindings()]
    return found


def _of_type(bindings: list[dict[str, Any]], type_: str) -> dict[str, Any]:
    return next(b for b in bindings if b["type"] == type_)


def test_consumers_listen_on_the_queue_and_subscriptions_of_messaging_json() -> None:
    from shared.adapters.localbus_topology import load_topology

    topology = load_topology()
    bindings = _bindings()
    queue = _of_type(bindings["on_notification_command"], "serviceBusTrigger")
    assert queue["queueName"] == "notification-commands" and topology.find("notification-commands")
    for name, subscription in (
        ("on_notification_event", "notifications"),
        ("on_order_status_changed", "notifications-realtime"),
    ):
        trigger = _of_type(bindings[name], "serviceBusTrigger")
        assert (trigger["topicName"], trigger["subscriptionName"]) == (topology.topic, subscription)
        assert topology.find(topology.topic, subscription) is not None
    events = topology.find(topology.topic, "notifications")
    assert events is not None and {"OrderCancelled", "OrderRefunded", "OrderShipped", "StockLow"} <= set(
        events.event_types
    )


def test_realtime_uses_the_signalr_bindings_on_one_hub() -> None:
    bindings = _bindings()
    info = _of_type(bindings["realtime_negotiate"], "signalRConnectionInfo")
    out = _of_type(bindings["on_order_status_changed"], "signalR")
    assert info["hubName"] == out["hubName"] == "orders"
    assert info["connectionStringSetting"] == out["connectionStringSetting"] == "AzureSignalRConnectionString"
    assert info["userId"] == "{headers.x-sc-user-id}" and out["name"] == "$return"


def test_azure_gets_a_serverless_signalr_service_the_bindings_reach_with_the_app_identity() -> None:
    """The bindings name a connection; Azure must have the service, the identity-based setting for
    that connection (`<name>__serviceUri`, no key) and a role for the app on that service."""
    import re
    from pathlib import Path

    infra = Path(__file__).resolve().parents[3] / "infra"
    setting = _of_type(_bindings()["realtime_negotiate"], "signalRConnectionInfo")["connectionStringSetting"]
    main = (infra / "main.bicep").read_text()
    assert re.search(rf"^\s*{setting}__serviceUri:\s*signalR\.outputs\.serviceUri\s*$", main, re.M)
    assert not re.search(rf"^\s*{setting}:", main, re.M), "a connection string would carry a key"
    module = (infra / "modules" / "signalr.bicep").read_text()
    assert "'Microsoft.SignalRService/signalR@" in module
    assert "{ flag: 'ServiceMode', value: 'Serverless' }" in module and "disableLocalAuth: true" in module
    rbac = (infra / "app" / "rbac.bicep").read_text()
    owner = "7e4f1700-ea5a-4f59-8f37-079cfe29dce3"  # SignalR Service Owner, what the extension needs
    assert owner in rbac and "scope: signalR" in rbac
