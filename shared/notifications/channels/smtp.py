"""Email over SMTP (smtplib): any real mail server or relay, and aiosmtpd on loopback in tests."""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import make_msgid

from shared.notifications.ports import (
    NotificationChannel,
    OutgoingMessage,
    PermanentChannelError,
    SendResult,
    TransientChannelError,
)


def _reply_text(code: int, reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else str(reply)
    return f"SMTP {code} {' '.join(text.split())}"[:300]


def _classify(code: int, reply: bytes | str) -> Exception:
    # RFC 5321: 4yz is a transient negative completion, 5yz permanent.
    reason = _reply_text(code, reply)
    return TransientChannelError(reason) if 400 <= code < 500 else PermanentChannelError(reason)


class SmtpEmailChannel(NotificationChannel):
    name = "email"

    def __init__(
        self,
        *,
        host: str,
        port: int,
        sender: str,
        username: str = "",
        password: str = "",
        starttls: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password = username, password
        self.starttls, self.timeout = starttls, timeout

    def build(self, message: OutgoingMessage) -> EmailMessage:
        email = EmailMessage()
        email["From"] = self.sender
        email["To"] = message.to
        email["Subject"] = message.subject
        email["Message-ID"] = make_msgid(idstring=message.notification_id[:40], domain="smartcommerce")
        # Lets a support engineer find the tracking record from a received message.
        email["X-SmartCommerce-Notification"] = message.notification_id
        email.set_content(message.body)
        if message.html:
            email.add_alternative(message.html, subtype="html")
        return email

    def send(self, message: OutgoingMessage) -> SendResult:
        if not message.to or "@" not in message.to:
            raise PermanentChannelError("no email address on the user's profile")
        if not self.host:
            raise PermanentChannelError("email is not configured (SMTP_HOST is empty)")
        email = self.build(message)
        try:
            with smtplib.SMTP(self.host, self.port, timeout=self.timeout) as smtp:
                if self.starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self.username:
                    smtp.login(self.username, self.password)
                refused = smtp.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            code, reply = next(iter(exc.recipients.values()))
            raise _classify(code, reply) from None
        except smtplib.SMTPAuthenticationError as exc:
            raise PermanentChannelError(_reply_text(exc.smtp_code, exc.smtp_error)) from None
        except smtplib.SMTPResponseException as exc:
            raise _classify(exc.smtp_code, exc.smtp_error) from None
        except (TimeoutError, smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, OSError) as exc:
            raise TransientChannelError(f"SMTP server unreachable: {type(exc).__name__}") from None
        if refused:  # several recipients, some refused: we only ever send to one
            code, reply = next(iter(refused.values()))
            raise _classify(code, reply)
        return SendResult(provider_message_id=str(email["Message-ID"]))
