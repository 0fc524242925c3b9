"""Notifications through devhost: SMTP on loopback, delivery tracking, dedupe, opt-out, retries,
template validation and the real-time stream.

Most tests play the order workflow's side, so each case is exact and fast: they put the
confirmation command on the `notification-commands` queue as `shared.orders.commands` builds
it, and order events on the topic as the orders outbox relay would, into the bus devhost reads.
The last test runs a real order through the workflow, with nothing played.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import queue
import socket
import threading
import time
import urllib.parse
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from shared.adapters.localbus import LocalBus, load_topology
from shared.ports.messaging import BusMessage
from tests.e2e.conftest import DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, unique, wait_for
from tests.smtp_server import SmtpServer

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def smtp() -> Iterator[SmtpServer]:
    with SmtpServer() as server:
        yield server


@pytest.fixture(scope="module")
def devhost(start_devhost_module: StartDevhost, smtp: SmtpServer) -> DevhostProcess:
    env = {
        "NOTIFY_EMAIL_CHANNEL": "smtp",
        "SMTP_HOST": "127.0.0.1",
        "SMTP_PORT": str(smtp.port),
        "SMTP_STARTTLS": "false",
        "SMTP_USERNAME": "",
        "NOTIFY_MAX_ATTEMPTS": "3",
        "NOTIFY_RETRY_BASE_SECONDS": "0.05",
        "NOTIFY_SMS_CHANNEL": "sink",
        "NOTIFY_PUSH_CHANNEL": "sink",
    }
    # The real-time stream extension is one of devhost's default services (devhost/services.py):
    # passing it again with --extension would register its route twice.
    return start_devhost_module(env=env)


@pytest.fixture(scope="module")
def api(devhost: DevhostProcess) -> ApiClient:
    return ApiClient(devhost.url)


@pytest.fixture(scope="module")
def bus(devhost: DevhostProcess) -> Iterator[LocalBus]:
    local = LocalBus(devhost.data_dir / "bus.db", load_topology())
    yield local
    local.close()


def _customer(api: ApiClient) -> tuple[str, str, str]:
    """(token, user id, email) of a new customer whose profile exists (GET /me provisions it)."""
    sub = unique("cust")
    email = f"{sub}@example.com"
    token = api.dev_token(sub, roles=["customer"], email=email, name="Ada Lovelace")
    me = api.get("/api/me", token=token)
    assert me.status == 200, me
    return token, str(me.json()["id"]), email


def _confirmation(order_id: str, user_id: str, email: str) -> dict[str, Any]:
    order = {
        "id": order_id,
        "customerId": user_id,
        "status": "confirmed",
        "currency": "USD",
        "items": [
            {
                "sku": "MUG-1",
                "productId": "p1",
                "name": "Blue Mug",
                "quantity": 2,
                "unitPrice": {"amount": "12.50", "currency": "USD"},
                "lineTotal": {"amount": "25.00", "currency": "USD"},
            }
        ],
        "subtotal": {"amount": "25.00", "currency": "USD"},
        "total": {"amount": "25.00", "currency": "USD"},
    }
    return {
        "commandId": f"{order_id}:notify:confirmation",
        "type": "SendOrderConfirmation",
        "data": {
            "kind": "confirmation",
            "orderId": order_id,
            "customerId": user_id,
            "customerEmail": email,
            "order": order,
        },
    }


def _send_command(bus: LocalBus, body: dict[str, Any]) -> str:
    # A fresh broker message id each time: a redelivery that the broker's own duplicate detection
    # would not catch (e.g. sent again after its window), so only our dedupe stands in the way.
    message_id = uuid.uuid4().hex
    bus.send(
        "notification-commands",
        [
            BusMessage(
                message_id=message_id,
                body=json.dumps(body).encode(),
                subject=body["type"],
                content_type="application/json",
                application_properties={"type": body["type"]},
            )
        ],
    )
    return message_id


def _handled(devhost: DevhostProcess, message_id: str) -> bool:
    return any(
        f"message_id={message_id}" in line and "outcome=completed" in line
        for line in devhost.log().splitlines()
    )


def _notifications(api: ApiClient, token: str) -> list[dict[str, Any]]:
    r = api.get("/api/me/notifications", token=token)
    assert r.status == 200, r
    return list(r.json()["items"])


def _email_status(api: ApiClient, token: str, status: str) -> dict[str, Any] | None:
    return next(
        (n for n in _notifications(api, token) if n["channel"] == "email" and n["status"] == status), None
    )


def test_an_order_confirmation_arrives_by_smtp_once_and_is_tracked_as_sent(
    devhost: DevhostProcess, api: ApiClient, bus: LocalBus, smtp: SmtpServer
) -> None:
    token, user_id, email = _customer(api)
    order_id = unique("ord")
    command = _confirmation(order_id, user_id, email)
    _send_command(bus, command)

    [received] = smtp.wait_for(1, address=email)
    assert received["Subject"] == f"Order confirmed - order {order_id}"
    text = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert text is not None and "Hello Ada Lovelace" in text.get_content()
    assert "2 x Blue Mug: 25.00" in text.get_content() and "Total: 25.00 USD" in text.get_content()
    assert html is not None and "<strong>25.00 USD</strong>" in html.get_content()

    sent = wait_for(lambda: _email_status(api, token, "sent"), message="the email to show as sent")
    assert sent["template"] == "order-confirmation" and sent["subject"] == received["Subject"]
    assert sent["sentAt"] and sent["orderId"] == order_id
    push = [n for n in _notifications(api, token) if n["channel"] == "push"]
    assert [n["status"] for n in push] == ["delivered"]  # the devhost sink confirms at once

    # The same command again (the workflow replayed, the bus redelivered): nothing is sent twice.
    again = _send_command(bus, command)
    wait_for(lambda: _handled(devhost, again), message="the redelivered command to be handled")
    assert len(smtp.to(email)) == 1
    assert sorted(n["channel"] for n in _notifications(api, token)) == ["email", "push"]


def test_a_customer_who_opted_out_of_email_gets_none(
    devhost: DevhostProcess, api: ApiClient, bus: LocalBus, smtp: SmtpServer
) -> None:
    token, user_id, email = _customer(api)
    prefs = {
        "channels": {"email": False, "sms": True, "push": True},
        "favoriteCategories": [],
        "marketingOptIn": False,
    }
    assert api.put("/api/me/preferences", prefs, token=token).status == 200
    message_id = _send_command(bus, _confirmation(unique("ord"), user_id, email))
    wait_for(lambda: _handled(devhost, message_id), message="the command to be handled")
    assert smtp.to(email) == []
    assert [n["channel"] for n in _notifications(api, token)] == ["push"]


def test_a_failing_smtp_server_is_retried_then_the_email_is_failed_with_the_reason(
    devhost: DevhostProcess, api: ApiClient, bus: LocalBus, smtp: SmtpServer
) -> None:
    token, user_id, email = _customer(api)
    attempts_before = smtp.attempts
    smtp.fail_with = "451 4.3.0 Mailbox busy, try again later"
    try:
        _send_command(bus, _confirmation(unique("ord"), user_id, email))
        failed = wait_for(lambda: _email_status(api, token, "failed"), message="the email to fail")
    finally:
        smtp.fail_with = None
    assert failed["attempts"] == 3 and smtp.attempts - attempts_before == 3
    assert failed["reason"] == "gave up after 3 attempts: SMTP 451 4.3.0 Mailbox busy, try again later"
    assert smtp.to(email) == []


def test_a_confirmation_whose_first_delivery_died_mid_send_is_sent_by_the_redelivery(
    devhost: DevhostProcess, api: ApiClient, bus: LocalBus, smtp: SmtpServer
) -> None:
    """A worker claimed the email (a `queued` record with a lease) and died; the bus redelivers the
    command while that lease still runs. The redelivery must wait it out and send, not leave the
    record `queued` forever (the inbox would mark the command handled)."""
    from shared.adapters.sqlite_documents import SqliteDocumentStore
    from shared.notifications.model import notification_id
    from shared.notifications.service import notifications_container

    token, user_id, email = _customer(api)
    command = _confirmation(unique("ord"), user_id, email)
    now = datetime.now(UTC)
    store = SqliteDocumentStore(devhost.data_dir / "documents.db")
    notifications_container(store).create(
        {
            "id": notification_id(command["commandId"], "email"),
            "userId": user_id,
            "eventId": command["commandId"],
            "channel": "email",
            "template": "order-confirmation",
            "subject": "",
            "status": "queued",
            "attempts": 0,
            "createdAt": now.isoformat(),
            "leaseUntil": (now + timedelta(seconds=1.5)).isoformat(),
        }
    )
    _send_command(bus, command)
    [received] = smtp.wait_for(1, address=email, timeout=20)
    assert received["Subject"] == f"Order confirmed - order {command['data']['orderId']}"
    sent = wait_for(lambda: _email_status(api, token, "sent"), message="the taken-over email to show as sent")
    assert sent["attempts"] == 1


def test_bad_templates_are_rejected_when_saved(api: ApiClient) -> None:
    admin = api.dev_token(unique("admin"), roles=["admin"])
    customer = api.dev_token(unique("cust"), roles=["customer"])
    good = {
        "kind": "order_shipped",
        "variants": [
            {
                "channel": "email",
                "locale": "en",
                "subject": "Order shipped - order {{ order.id }}",
                "body": "{{ shipment.carrier }} {{ shipment.trackingNumber }}",
                "html": "<p>{{ customer.name }}</p>",
            }
        ],
    }

    syntax = json.loads(json.dumps(good))
    syntax["variants"][0]["html"] = "<p>{% for x in order['items'] %}{{ x.name }}</p>"
    r = api.put("/api/notifications/templates/order-shipped", syntax, token=admin)
    assert r.status == 422 and r.json()["code"] == "invalid_template", r
    assert r.json()["errors"][0]["field"] == "variants[0].html"

    unknown = json.loads(json.dumps(good))
    unknown["variants"][0]["body"] = "Hello {{ customer.nickname }}"
    r = api.put("/api/notifications/templates/order-shipped", unknown, token=admin)
    assert r.status == 422 and r.json()["errors"][0]["field"] == "variants[0].body", r
    assert "nickname" in r.json()["errors"][0]["message"]

    assert api.put("/api/notifications/templates/order-shipped", good, token=customer).status == 403
    saved = api.put("/api/notifications/templates/order-shipped", good, token=admin)
    assert saved.status == 200 and saved.json()["version"] == 1, saved
    listed = api.get("/api/notifications/templates", token=admin)
    assert listed.status == 200
    versions = {t["name"]: t["version"] for t in listed.json()["items"]}
    assert versions["order-shipped"] == 1 and versions["order-confirmation"] == 0


class _Stream:
    """Reads a server-sent-events response on a thread; events land in `events`."""

    def __init__(self, url: str) -> None:
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=20)
        self.conn.request("GET", f"{parts.path}?{parts.query}", headers={"Accept": "text/event-stream"})
        self.response = self.conn.getresponse()
        self.events: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self) -> None:
        name, data = "message", ""
        try:
            for raw in self.response:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    name = line[7:]
                elif line.startswith("data: "):
                    data = line[6:]
                elif line == "" and data:
                    self.events.put((name, json.loads(data)))
                    name, data = "message", ""
        except (OSError, ValueError, AttributeError):  # closed under the reader: the test is over
            return

    def next(self, name: str, timeout: float = 15.0) -> dict[str, Any]:
        while True:
            got, data = self.events.get(timeout=timeout)
            if got == name:
                return data

    def close(self) -> None:
        # Shut the socket down first: a reader blocked in recv() only wakes up from that.
        if self.conn.sock is not None:
            with contextlib.suppress(OSError):
                self.conn.sock.shutdown(socket.SHUT_RDWR)
        self.conn.close()
        self.thread.join(5)


def test_a_connected_client_sees_its_order_status_change(api: ApiClient, bus: LocalBus) -> None:
    token, user_id, _ = _customer(api)
    r = api.post("/api/realtime/negotiate", None, token=token, headers={"x-sc-user-id": "someone-else"})
    assert r.status == 403, r
    r = api.post("/api/realtime/negotiate", None, token=token, headers={"x-sc-user-id": user_id})
    assert r.status == 200, r
    info = r.json()
    assert info["url"].endswith("/api/realtime/stream")
    unauthorized = api.get("/api/realtime/stream")
    assert unauthorized.status == 401, unauthorized

    stream = _Stream(f"{info['url']}?access_token={info['accessToken']}")
    try:
        assert stream.response.status == 200
        assert stream.next("connected")["userId"] == user_id
        order_id = unique("ord")
        event_id = str(uuid.uuid4())
        event = {
            "specversion": "1.0",
            "id": event_id,
            "source": "smartcommerce.orders",
            "type": "OrderShipped",
            "subject": order_id,
            "time": datetime.now(UTC).isoformat(),
            "data": {"orderId": order_id, "customerId": user_id, "status": "shipped", "order": {}},
        }
        bus.publish(
            bus.topology.topic,
            [
                BusMessage(
                    message_id=event_id,
                    body=json.dumps(event).encode(),
                    subject="OrderShipped",
                    application_properties={"type": "OrderShipped"},
                )
            ],
        )
        update = stream.next("orderStatusChanged")
        assert (update["orderId"], update["status"], update["eventType"]) == (
            order_id,
            "shipped",
            "OrderShipped",
        )
    finally:
        stream.close()


def test_a_real_order_is_confirmed_by_email_and_its_status_changes_are_streamed(
    api: ApiClient, smtp: SmtpServer
) -> None:
    """The whole path: the order workflow's command and the orders outbox events, no test doubles."""
    from tests.e2e.catalog_support import shop

    admin = shop(api).admin
    token, user_id, email = _customer(api)
    refs = shop(api).create_refs()
    sku = unique("SKU")
    product = shop(api).create_product(refs, sku=sku, name="Teapot", amount="30.00")
    assert product.status == 201
    stock = api.post(f"/api/inventory/{sku}/adjustments", {"delta": 5, "reason": "e2e"}, token=admin)
    assert stock.status == 200, stock
    card = {
        "cardNumber": "4242424242424242",
        "expMonth": 12,
        "expYear": 2040,
        "cvc": "123",
        "holderName": "Ada",
    }
    payment = api.post("/api/payments/tokens", card, token=token)
    assert payment.status == 201, payment

    info = api.post("/api/realtime/negotiate", None, token=token, headers={"x-sc-user-id": user_id}).json()
    stream = _Stream(f"{info['url']}?access_token={info['accessToken']}")
    try:
        assert stream.next("connected")["userId"] == user_id
        address = {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"}
        order = {
            "items": [{"sku": sku, "quantity": 2}],
            "shippingAddress": address,
            "paymentToken": payment.json()["token"],
        }
        placed = api.post("/api/orders", order, token=token)
        assert placed.status == 202, placed
        order_id = placed.json()["orderId"]

        [received] = smtp.wait_for(1, address=email, timeout=30)
        assert received["Subject"] == f"Order confirmed - order {order_id}"
        text = received.get_body(("plain",))
        assert text is not None and "2 x Teapot: 60.00" in text.get_content()
        assert wait_for(lambda: _email_status(api, token, "sent"), message="the confirmation to show as sent")
        statuses = []
        while "confirmed" not in statuses:
            update = stream.next("orderStatusChanged", timeout=30)
            assert update["orderId"] == order_id
            statuses.append(update["status"])

        assert api.post(f"/api/orders/{order_id}/ship", None, token=admin).status == 202
        assert stream.next("orderStatusChanged", timeout=30)["status"] == "shipped"
        shipped = smtp.wait_for(2, address=email, timeout=30)
        assert shipped[1]["Subject"] == f"Order shipped - order {order_id}"
    finally:
        stream.close()


def test_stopping_devhost_ends_open_streams_at_once(start_devhost: StartDevhost, tmp_path: Any) -> None:
    dh = start_devhost()
    api = ApiClient(dh.url)
    token, user_id, _ = _customer(api)
    info = api.post("/api/realtime/negotiate", None, token=token, headers={"x-sc-user-id": user_id}).json()
    stream = _Stream(f"{info['url']}?access_token={info['accessToken']}")
    try:
        assert stream.next("connected")["userId"] == user_id
        started = time.monotonic()
        assert dh.stop() == 0
        # Without the early stop signal the host would wait its whole grace period (10 s) for it.
        assert time.monotonic() - started < 6
        stream.thread.join(5)
        assert not stream.thread.is_alive(), "the stream did not end with the host"
    finally:
        stream.close()


def test_the_notification_routes_answer_bad_callers_and_bad_input_with_problems(api: ApiClient) -> None:
    """API.md: 401 without a valid token, 403 without the role, 400 malformed JSON, 422 invalid
    input; each a problem+json with a code, and nothing is saved."""
    admin = api.dev_token(unique("admin"), roles=["admin"])
    customer = api.dev_token(unique("cust"), roles=["customer"])
    template = {"kind": "stock_low", "variants": [{"channel": "sms", "body": "{{ stock.sku }}"}]}
    cases = [
        (api.get("/api/me/notifications"), 401),
        (api.get("/api/me/notifications", token="not-a-token"), 401),
        (api.get("/api/me/notifications?limit=0", token=customer), 422),
        (api.get("/api/me/notifications?continuationToken=forged", token=customer), 422),
        (api.get("/api/notifications/templates"), 401),
        (api.get("/api/notifications/templates", token=customer), 403),
        (api.put("/api/notifications/templates/stock-low", template), 401),
        (
            api.request(
                "PUT",
                "/api/notifications/templates/stock-low",
                data=b"{",
                headers={"Content-Type": "application/json"},
                token=admin,
            ),
            400,
        ),
        # A body without a JSON media type is refused before it is read (issue 17, point 8).
        (api.request("PUT", "/api/notifications/templates/stock-low", data=b"{}", token=admin), 415),
        (
            api.put("/api/notifications/templates/stock-low", {"kind": "nope", "variants": []}, token=admin),
            422,
        ),
        (api.put("/api/notifications/templates/Bad_Name", template, token=admin), 422),
        (
            api.put(
                "/api/notifications/templates/stock-low", {**template, "kind": "order_shipped"}, token=admin
            ),
            422,
        ),
    ]
    for result, status in cases:
        assert result.status == status, result
        assert result.content_type.startswith("application/problem+json") and result.json()["code"], result
    listed = api.get("/api/notifications/templates", token=admin).json()["items"]
    assert {t["name"]: t["version"] for t in listed}["stock-low"] == 0
    assert api.get("/api/me/notifications?limit=100", token=customer).json() == {
        "items": [],
        "continuationToken": None,
    }
