"""The Service Bus adapter's message mapping (the part testable without a broker)."""

from __future__ import annotations

import pytest

from shared.adapters.servicebus_publisher import to_servicebus
from shared.messaging.events import PlatformPinged, new_event


def test_event_type_is_subject_and_type_property_and_id_is_message_id() -> None:
    event = new_event(
        PlatformPinged(requested_by="ops"), subject="s", traceparent="00-" + "1" * 32 + "-" + "2" * 16 + "-01"
    )
    sb = to_servicebus(event.to_message(correlation_id="corr"))
    assert sb.message_id == event.id
    assert sb.subject == "PlatformPinged"
    assert sb.application_properties is not None
    assert sb.application_properties["type"] == "PlatformPinged"
    assert sb.application_properties["traceparent"] == event.traceparent
    assert sb.correlation_id == "corr"
    assert sb.content_type == "application/cloudevents+json"
    assert b"".join(sb.body) == event.to_json().encode()


def test_a_connection_string_builds_a_client_for_the_emulator() -> None:
    """`SERVICEBUS` (development only): the emulator's connection string; nothing is sent here,
    the client connects lazily. Not covered: talking AMQP to a real emulator (none runs here)."""
    from shared.adapters.servicebus_publisher import ServiceBusPublisher
    from shared.settings import Settings

    emulator = (
        "Endpoint=sb://localhost;SharedAccessKeyName=RootManageSharedAccessKey;"
        "SharedAccessKey=SAS_KEY_VALUE;UseDevelopmentEmulator=true;"
    )
    publisher = ServiceBusPublisher.from_settings(Settings.model_validate({"SERVICEBUS": emulator}))
    assert publisher.client.fully_qualified_namespace == "localhost"
    with pytest.raises(ValueError, match="SERVICEBUS__fullyQualifiedNamespace is required"):
        ServiceBusPublisher.from_settings(Settings.model_validate({}))
