"""The status document the management API returns (the shape DurableOrchestrationStatus reads)."""

from __future__ import annotations

import json
from typing import Any

from devhost.durable import events as ev
from devhost.durable.store import Instance

_EVENT_FIELDS = ("Name", "InstanceId", "TaskScheduledId", "TimerId", "FireAt", "Reason", "Details")
_PAYLOAD_FIELDS = ("Input", "Result")


def parse_json(text: str | None) -> Any:
    """Stored payloads are JSON text; a value that is not JSON is shown as the raw string."""
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


def history_entry(raw: str, with_payloads: bool) -> dict[str, Any]:
    event = json.loads(raw)
    kind = int(event.get("EventType", -1))
    entry: dict[str, Any] = {
        "EventType": ev.EVENT_NAMES.get(kind, str(kind)),
        "Timestamp": event.get("Timestamp"),
    }
    if event.get("EventId", -1) != -1:
        entry["EventId"] = event["EventId"]
    entry.update({k: event[k] for k in _EVENT_FIELDS if event.get(k) is not None})
    if with_payloads or kind == ev.EXECUTION_STARTED:
        entry.update({k: parse_json(event[k]) for k in _PAYLOAD_FIELDS if event.get(k) is not None})
    return entry


def status_document(
    inst: Instance,
    history: list[str] | None = None,
    show_input: bool = True,
    show_history_output: bool = False,
) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "name": inst.name,
        "instanceId": inst.instance_id,
        "runtimeStatus": inst.status,
        "input": parse_json(inst.input) if show_input else None,
        "customStatus": parse_json(inst.custom_status),
        "output": parse_json(inst.output),
        "createdTime": inst.created_at,
        "lastUpdatedTime": inst.updated_at,
    }
    if history is not None:
        entries = [history_entry(raw, show_history_output) for raw in history]
        # Azure's webhook names it `historyEvents`; the Python client's `.history` reads `history`.
        doc["historyEvents"] = entries
        doc["history"] = entries
    return doc


def http_status_code(status: str) -> int:
    """The codes the status webhook uses: 200 done, 202 in progress, 400 failed or terminated."""
    if status == "Completed":
        return 200
    if status in ("Failed", "Terminated"):
        return 400
    return 202
