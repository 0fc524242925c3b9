"""Notifications unit tests: a real SQLite document store, and scripted channels that subclass the
channel port (the same base the SMTP and provider adapters implement)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.notifications.ports import (
    NotificationChannel,
    OutgoingMessage,
    PermanentChannelError,
    SendResult,
    TransientChannelError,
)


class ScriptedChannel(NotificationChannel):
    """Fails as scripted ("transient" / "permanent"), then succeeds; records what it sent."""

    def __init__(self, name: str, script: list[str] | None = None) -> None:
        self.name = name
        self.script = list(script or [])
        self.attempts: list[OutgoingMessage] = []
        self.sent: list[OutgoingMessage] = []

    def send(self, message: OutgoingMessage) -> SendResult:
        self.attempts.append(message)
        step = self.script.pop(0) if self.script else "ok"
        if step == "transient":
            raise TransientChannelError("SMTP 451 try again later")
        if step == "permanent":
            raise PermanentChannelError("SMTP 550 mailbox unavailable")
        self.sent.append(message)
        return SendResult(provider_message_id=f"id-{len(self.sent)}")


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteDocumentStore]:
    yield SqliteDocumentStore(tmp_path / "documents.db")


@pytest.fixture
def channels() -> dict[str, ScriptedChannel]:
    return {name: ScriptedChannel(name) for name in ("email", "sms", "push")}
