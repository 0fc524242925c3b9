"""The SMTP adapter against a real SMTP server on loopback (aiosmtpd): what arrives, and how each
kind of failure is classified (retry or give up)."""

from __future__ import annotations

import re

import pytest

from shared.notifications.channels.smtp import SmtpEmailChannel
from shared.notifications.ports import OutgoingMessage, PermanentChannelError, TransientChannelError
from tests.smtp_server import SmtpServer, free_port

MESSAGE = OutgoingMessage(
    notification_id="email-abc123",
    channel="email",
    user_id="user-1",
    to="ada@example.com",
    subject="Order confirmed - order ord-1",
    body="Hello Ada,\nTotal: 9.99 USD\n",
    html="<p>Hello Ada, total <strong>9.99 USD</strong></p>",
)


def _channel(port: int) -> SmtpEmailChannel:
    return SmtpEmailChannel(host="127.0.0.1", port=port, sender="Shop <no-reply@shop.test>", timeout=5)


def test_the_email_arrives_with_text_and_html_parts() -> None:
    with SmtpServer() as smtp:
        result = _channel(smtp.port).send(MESSAGE)
        [received] = smtp.wait_for(1)
    assert smtp.envelopes == [("no-reply@shop.test", ["ada@example.com"])]
    assert received["Subject"] == "Order confirmed - order ord-1"
    assert received["X-SmartCommerce-Notification"] == "email-abc123"
    assert str(received["Message-ID"]).strip() == result.provider_message_id
    text = received.get_body(("plain",))
    html = received.get_body(("html",))
    assert text is not None and "Total: 9.99 USD" in text.get_content()
    assert html is not None and "<strong>9.99 USD</strong>" in html.get_content()


def test_a_4xx_reply_is_transient_and_a_5xx_reply_permanent() -> None:
    with SmtpServer() as smtp:
        smtp.fail_with = "451 4.3.0 Mailbox busy, try again later"
        with pytest.raises(TransientChannelError, match=re.escape("SMTP 451 4.3.0 Mailbox busy")):
            _channel(smtp.port).send(MESSAGE)
        smtp.fail_with = "550 5.1.1 No such user"
        with pytest.raises(PermanentChannelError, match=re.escape("SMTP 550 5.1.1 No such user")):
            _channel(smtp.port).send(MESSAGE)
        assert smtp.attempts == 2 and smtp.messages == []


def test_an_unreachable_server_is_transient() -> None:
    with pytest.raises(TransientChannelError, match="unreachable"):
        _channel(free_port()).send(MESSAGE)


def test_no_address_is_permanent_without_connecting() -> None:
    no_address = OutgoingMessage(**{**MESSAGE.__dict__, "to": ""})
    with pytest.raises(PermanentChannelError, match="no email address"):
        _channel(free_port()).send(no_address)
