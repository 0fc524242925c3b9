from __future__ import annotations

from datetime import UTC, datetime, timedelta

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.notifications.delivery import Delivery, DeliveryRequest
from shared.notifications.model import notification_id
from shared.notifications.service import notifications_container
from shared.notifications.templates import Rendered
from tests.unit.notifications.conftest import ScriptedChannel


def _request(event_id: str = "evt-1", channel: str = "email") -> DeliveryRequest:
    return DeliveryRequest(
        event_id=event_id,
        event_type="order_confirmed",
        user_id="user-1",
        channel=channel,
        to="ada@example.com",
        template="order-confirmation",
        template_version=0,
        rendered=Rendered("Order confirmed", "body"),
        order_id="ord-1",
    )


def _delivery(store: SqliteDocumentStore, channel: ScriptedChannel, sleeps: list[float]) -> Delivery:
    return Delivery(
        notifications_container(store),
        {channel.name: channel},
        max_attempts=3,
        retry_base_seconds=0.5,
        sleep=sleeps.append,
    )


def test_a_first_delivery_is_sent_and_tracked(store: SqliteDocumentStore) -> None:
    email, sleeps = ScriptedChannel("email"), list[float]()
    record = _delivery(store, email, sleeps).deliver(_request())
    assert record["status"] == "sent" and record["attempts"] == 1 and record["sentAt"]
    assert record["id"] == notification_id("evt-1", "email") and record["subject"] == "Order confirmed"
    assert [m.to for m in email.sent] == ["ada@example.com"] and sleeps == []


def test_transient_failures_are_retried_with_exponential_backoff(store: SqliteDocumentStore) -> None:
    email, sleeps = ScriptedChannel("email", ["transient", "transient"]), list[float]()
    record = _delivery(store, email, sleeps).deliver(_request())
    assert record["status"] == "sent" and record["attempts"] == 3
    assert sleeps == [0.5, 1.0] and len(email.sent) == 1


def test_retries_end_in_failed_with_the_reason(store: SqliteDocumentStore) -> None:
    email, sleeps = ScriptedChannel("email", ["transient"] * 5), list[float]()
    record = _delivery(store, email, sleeps).deliver(_request())
    assert record["status"] == "failed" and record["attempts"] == 3
    assert record["reason"] == "gave up after 3 attempts: SMTP 451 try again later"
    assert len(email.attempts) == 3 and sleeps == [0.5, 1.0] and email.sent == []


def test_a_permanent_failure_is_not_retried(store: SqliteDocumentStore) -> None:
    email, sleeps = ScriptedChannel("email", ["permanent"]), list[float]()
    record = _delivery(store, email, sleeps).deliver(_request())
    assert (record["status"], record["reason"], record["attempts"]) == (
        "failed",
        "SMTP 550 mailbox unavailable",
        1,
    )
    assert len(email.attempts) == 1 and sleeps == []


def test_the_same_event_is_never_sent_twice_on_a_channel(store: SqliteDocumentStore) -> None:
    email, sleeps = ScriptedChannel("email"), list[float]()
    delivery = _delivery(store, email, sleeps)
    first = delivery.deliver(_request())
    again = delivery.deliver(_request())
    assert again["id"] == first["id"] and again["status"] == "sent"
    assert len(email.attempts) == 1
    delivery.deliver(_request(event_id="evt-2"))  # another event is another notification
    assert len(email.sent) == 2


def test_a_failed_notification_is_not_retried_by_a_redelivery(store: SqliteDocumentStore) -> None:
    email, sleeps = ScriptedChannel("email", ["permanent"]), list[float]()
    delivery = _delivery(store, email, sleeps)
    delivery.deliver(_request())
    assert delivery.deliver(_request())["status"] == "failed" and len(email.attempts) == 1


def test_a_delivery_in_progress_elsewhere_is_left_alone_until_its_lease_expires(
    store: SqliteDocumentStore,
) -> None:
    email, sleeps = ScriptedChannel("email"), list[float]()
    container = notifications_container(store)
    nid = notification_id("evt-1", "email")
    future = (datetime.now(UTC) + timedelta(minutes=4)).isoformat()
    container.create(
        {
            "id": nid,
            "userId": "user-1",
            "channel": "email",
            "status": "queued",
            "attempts": 1,
            "template": "order-confirmation",
            "subject": "s",
            "createdAt": "x",
            "leaseUntil": future,
        }
    )
    assert _delivery(store, email, sleeps).deliver(_request())["status"] == "queued"
    assert email.attempts == []
    # The process holding it crashed: once the lease is over, the next delivery takes it over.
    doc = container.read(nid, "user-1")
    container.replace({**doc, "leaseUntil": (datetime.now(UTC) - timedelta(seconds=1)).isoformat()})
    record = _delivery(store, email, sleeps).deliver(_request())
    assert record["status"] == "sent" and record["attempts"] == 2 and len(email.sent) == 1


def test_a_template_that_fails_on_real_data_is_recorded_as_failed(store: SqliteDocumentStore) -> None:
    email, sleeps = ScriptedChannel("email"), list[float]()
    request = DeliveryRequest(
        **{**_request().__dict__, "rendered": None, "render_error": "the template did not"}
    )
    record = _delivery(store, email, sleeps).deliver(request)
    assert (record["status"], record["reason"]) == ("failed", "the template did not") and email.attempts == []
