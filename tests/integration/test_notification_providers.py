"""The HTTP provider adapters (ACS email and SMS, push webhook) against a real HTTP server on
loopback: the request they make, and how the provider's answers are classified."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from shared.notifications.channels.http_provider import AcsEmailChannel, AcsSmsChannel, WebhookPushChannel
from shared.notifications.ports import OutgoingMessage, PermanentChannelError, TransientChannelError


class Provider:
    def __init__(self) -> None:
        self.requests: list[tuple[str, dict[str, str], dict[str, Any]]] = []
        self.status = 202
        self.answer: dict[str, Any] = {"id": "op-1"}


@pytest.fixture
def provider() -> Iterator[tuple[Provider, str]]:
    state = Provider()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # the stdlib's hook name
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
            payload = json.dumps(state.answer).encode()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _message(to: str) -> OutgoingMessage:
    return OutgoingMessage(
        notification_id="email-1",
        channel="email",
        user_id="u1",
        to=to,
        subject="Hi",
        body="text",
        html="<p>html</p>",
        metadata={"orderId": "ord-1"},
    )


def test_acs_email_posts_the_message_with_a_repeatable_request_id(provider: tuple[Provider, str]) -> None:
    state, url = provider
    channel = AcsEmailChannel(url, "shop@example.com", token=lambda: "tok")
    assert channel.send(_message("ada@example.com")).provider_message_id == "op-1"
    channel.send(_message("ada@example.com"))
    (path, headers, body), (_, again, _) = state.requests
    assert path == "/emails:send?api-version=2023-03-31" and headers["authorization"] == "Bearer tok"
    assert body["recipients"] == {"to": [{"address": "ada@example.com"}]}
    assert body["content"] == {"subject": "Hi", "plainText": "text", "html": "<p>html</p>"}
    # The same notification retried carries the same id, so ACS sends it once.
    assert headers["repeatability-request-id"] == again["repeatability-request-id"]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (429, TransientChannelError),
        (503, TransientChannelError),
        (400, PermanentChannelError),
        (403, PermanentChannelError),
    ],
)
def test_provider_answers_are_classified(
    provider: tuple[Provider, str], status: int, error: type[Exception]
) -> None:
    state, url = provider
    state.status = status
    with pytest.raises(error, match=f"HTTP {status}"):
        AcsSmsChannel(url, "+15550000", token=lambda: "tok").send(_message("+15550100"))


def test_sms_needs_a_number_and_push_addresses_the_user(provider: tuple[Provider, str]) -> None:
    state, url = provider
    with pytest.raises(PermanentChannelError):
        AcsSmsChannel(url, "+15550000", token=lambda: "tok").send(_message(""))
    WebhookPushChannel(f"{url}/push").send(_message("u1"))
    [(path, headers, body)] = state.requests
    assert path == "/push" and headers["idempotency-key"] == "email-1"
    assert body == {"userId": "u1", "title": "Hi", "body": "text", "data": {"orderId": "ord-1"}}


def test_an_unreachable_provider_is_transient() -> None:
    with pytest.raises(TransientChannelError, match="unreachable"):
        WebhookPushChannel("http://127.0.0.1:9/push").send(_message("u1"))


def test_the_managed_identity_token_is_reused_until_near_expiry(monkeypatch: pytest.MonkeyPatch) -> None:
    from types import SimpleNamespace

    from shared.notifications.channels import http_provider

    calls: list[str] = []

    class Credential:
        def get_token(self, scope: str) -> SimpleNamespace:
            calls.append(scope)
            return SimpleNamespace(token=f"t{len(calls)}", expires_on=1000 + 3600 * len(calls))

    monkeypatch.setattr(http_provider, "_credential", Credential())
    now = [1000.0]
    token = http_provider.managed_identity_token("scope/.default", clock=lambda: now[0])
    assert [token(), token(), token()] == ["t1", "t1", "t1"]
    now[0] = 1000 + 3600 - 299  # within five minutes of expiry: a new token
    assert token() == "t2"
    assert calls == ["scope/.default", "scope/.default"]
