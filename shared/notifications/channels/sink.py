"""The local sink (devhost, tests): records what would be sent, one JSON line per message.

`<data dir>/notifications/<channel>.jsonl` is something a developer can `tail -f` and a test can
read; it confirms delivery at once since it is the final destination.
"""

from __future__ import annotations

import json
import threading
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from shared.notifications.ports import NotificationChannel, OutgoingMessage, SendResult
from shared.storage.files import ensure_private_file

_lock = threading.Lock()


class LocalSinkChannel(NotificationChannel):
    def __init__(self, name: str, directory: Path) -> None:
        self.name = name
        self.path = directory / f"{name}.jsonl"
        self._private = False  # made owner-only once, not on every send

    def send(self, message: OutgoingMessage) -> SendResult:
        record = {**asdict(message), "recordedAt": datetime.now(UTC).isoformat()}
        with _lock:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            if not self._private:
                ensure_private_file(self.path)
                self._private = True
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(record) + "\n")
        return SendResult(provider_message_id=f"sink:{message.notification_id}", delivered=True)

    def records(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        return [json.loads(line) for line in self.path.read_text(encoding="utf-8").splitlines() if line]
