from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.notifications.delivery import Delivery, DeliveryRequest
from shared.notifications.model import notification_id
from shared.notifications.ports import OutgoingMessage, SendResult, TransientChannelError
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


# --- a redelivery that finds another delivery's live lease ------------------------------------------


def _held_record(store: SqliteDocumentStore, lease_seconds: float) -> dict[str, object]:
    """A `queued` record another delivery claimed (it may be alive, or it crashed mid-send)."""
    return notifications_container(store).create(
        {
            "id": notification_id("evt-1", "email"),
            "userId": "user-1",
            "channel": "email",
            "status": "queued",
            "attempts": 1,
            "template": "order-confirmation",
            "subject": "s",
            "createdAt": datetime.now(UTC).isoformat(),
            "leaseUntil": (datetime.now(UTC) + timedelta(seconds=lease_seconds)).isoformat(),
        }
    )


def _waiting_delivery(
    store: SqliteDocumentStore, channel: ScriptedChannel, sleep: Callable[[float], None] = time.sleep
) -> Delivery:
    return Delivery(
        notifications_container(store),
        {channel.name: channel},
        max_attempts=3,
        retry_base_seconds=0.0,
        sleep=sleep,
        lease_seconds=0.5,
        poll_seconds=0.05,
    )


def test_a_redelivery_during_a_crashed_holders_lease_waits_and_takes_over(
    store: SqliteDocumentStore,
) -> None:
    """The bus redelivers a message at once when its handler dies or is shut down mid-send. Returning
    the still-`queued` record would let the inbox mark the event handled: nobody would send it."""
    email = ScriptedChannel("email")
    _held_record(store, lease_seconds=0.3)
    started = time.monotonic()
    record = _waiting_delivery(store, email).deliver(_request())
    assert record["status"] == "sent" and len(email.sent) == 1
    assert time.monotonic() - started < 5


def _holder_acts_during_poll(
    poll: int, action: Callable[[], object]
) -> tuple[list[float], Callable[[float], None]]:
    """A `sleep` for the waiting delivery that makes the live holder act during its `poll`-th poll
    (a thread sleeping a fixed time could miss the waiter's ~0.5 s bound on a loaded machine)."""
    polls: list[float] = []

    def sleep(seconds: float) -> None:
        polls.append(seconds)
        if len(polls) == poll:
            action()
        time.sleep(seconds)

    return polls, sleep


def test_a_redelivery_returns_what_a_live_holder_finished_without_sending(store: SqliteDocumentStore) -> None:
    email = ScriptedChannel("email")
    doc = _held_record(store, lease_seconds=3)
    container = notifications_container(store)
    done = {**doc, "status": "sent", "leaseUntil": None, "sentAt": datetime.now(UTC).isoformat()}
    polls, sleep = _holder_acts_during_poll(2, lambda: container.replace(done))
    record = _waiting_delivery(store, email, sleep).deliver(_request())
    assert record["status"] == "sent" and email.attempts == []
    assert len(polls) == 2, "returned at the first poll after the holder finished"


def test_a_holder_that_renews_its_lease_is_left_to_finish(store: SqliteDocumentStore) -> None:
    email = ScriptedChannel("email")
    doc = _held_record(store, lease_seconds=3)
    container = notifications_container(store)
    renewed = {**doc, "attempts": 2, "leaseUntil": (datetime.now(UTC) + timedelta(seconds=30)).isoformat()}
    polls, sleep = _holder_acts_during_poll(2, lambda: container.replace(renewed))
    record = _waiting_delivery(store, email, sleep).deliver(_request())
    assert (record["status"], record["attempts"]) == ("queued", 2) and email.attempts == []
    assert len(polls) == 2, "returned once the renewal showed the holder alive"


def test_each_failed_attempt_renews_the_lease_past_the_backoff(store: SqliteDocumentStore) -> None:
    email = ScriptedChannel("email", ["transient"])
    container = notifications_container(store)
    seen: list[tuple[float, str]] = []

    def sleep(seconds: float) -> None:  # the backoff: what a redelivery would see meanwhile
        seen.append((seconds, str(container.read(notification_id("evt-1", "email"), "user-1")["leaseUntil"])))

    delivery = Delivery(
        container, {"email": email}, max_attempts=3, retry_base_seconds=100.0, sleep=sleep, lease_seconds=20.0
    )
    before = datetime.now(UTC)
    record = delivery.deliver(_request())
    assert record["status"] == "sent" and [s for s, _ in seen] == [100.0]
    lease = datetime.fromisoformat(seen[0][1])
    assert lease >= before + timedelta(seconds=120), "the lease must outlast the backoff and the next attempt"
    assert record["leaseUntil"] is None


def test_failure_logs_do_not_carry_the_recipients_address(
    store: SqliteDocumentStore, caplog: pytest.LogCaptureFixture
) -> None:
    class Refusing(ScriptedChannel):
        def send(self, message: OutgoingMessage) -> SendResult:
            self.attempts.append(message)
            raise TransientChannelError(f"SMTP 452 4.2.2 <{message.to}> mailbox full")

    email = Refusing("email")
    caplog.set_level(logging.INFO, logger="smartcommerce.notifications")
    record = _delivery(store, email, []).deliver(_request())
    assert record["status"] == "failed" and len(email.attempts) == 3
    assert "mailbox full" in caplog.text and "ada@example.com" not in caplog.text


def test_a_holder_whose_record_was_taken_over_stops_retrying(store: SqliteDocumentStore) -> None:
    """An attempt that outlived its lease: another delivery took the record over meanwhile, so this
    one must not keep sending it too."""
    container = notifications_container(store)
    nid = notification_id("evt-1", "email")

    class SlowThenTakenOver(ScriptedChannel):
        def send(self, message: OutgoingMessage) -> SendResult:
            self.attempts.append(message)
            doc = container.read(nid, "user-1")
            container.replace({**doc, "leaseUntil": "9999-01-01T00:00:00+00:00", "takenBy": "other"})
            raise TransientChannelError("SMTP 421 timeout")

    email, sleeps = SlowThenTakenOver("email"), list[float]()
    record = _delivery(store, email, sleeps).deliver(_request())
    assert len(email.attempts) == 1 and sleeps == []
    assert record["takenBy"] == "other" and record["status"] == "queued"


def test_a_taken_over_record_with_no_attempt_left_fails_with_the_last_error(
    store: SqliteDocumentStore,
) -> None:
    container = notifications_container(store)
    doc = _held_record(store, lease_seconds=-1)  # its holder died after its last failed attempt
    container.replace({**doc, "attempts": 3, "lastError": "SMTP 451 busy"})
    email = ScriptedChannel("email")
    record = _delivery(store, email, []).deliver(_request())
    assert (record["status"], record["reason"]) == ("failed", "gave up after 3 attempts: SMTP 451 busy")
    assert email.attempts == []
