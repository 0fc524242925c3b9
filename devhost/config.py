"""What devhost reads before importing the app: local.settings.json and host.json.

Mirrors `func start`: the "Values" of local.settings.json become environment variables, but
variables already set win (so a test or a shell can override a value).
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

log = logging.getLogger("devhost")

DEFAULT_MAX_CONCURRENT_CALLS = 16


@dataclass(frozen=True)
class HostConfig:
    """The parts of host.json devhost honours."""

    route_prefix: str = "api"
    max_concurrent_calls: int = DEFAULT_MAX_CONCURRENT_CALLS
    raw: dict[str, Any] = field(default_factory=dict)


def load_host_json(root: Path) -> HostConfig:
    path = root / "host.json"
    if not path.exists():
        return HostConfig()
    raw = json.loads(path.read_text(encoding="utf-8"))
    ext = raw.get("extensions", {})
    prefix = ext.get("http", {}).get("routePrefix", "api")
    sb = ext.get("serviceBus", {})
    calls = sb.get("maxConcurrentCalls") or sb.get("messageHandlerOptions", {}).get("maxConcurrentCalls")
    return HostConfig(
        route_prefix=str(prefix).strip("/"),
        max_concurrent_calls=int(calls or DEFAULT_MAX_CONCURRENT_CALLS),
        raw=raw,
    )


def load_local_settings(root: Path) -> dict[str, str]:
    """Apply local.settings.json "Values" to os.environ (existing variables win).

    Falls back to local.settings.sample.json so a fresh clone runs; returns what was applied.
    """
    for name in ("local.settings.json", "local.settings.sample.json"):
        path = root / name
        if path.exists():
            break
    else:
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    if data.get("IsEncrypted"):
        raise SystemExit(f"{path}: encrypted settings are not supported by devhost")
    applied: dict[str, str] = {}
    for key, value in (data.get("Values") or {}).items():
        if key in os.environ:
            continue
        text = value if isinstance(value, str) else json.dumps(value)
        os.environ[key] = text
        applied[key] = text
    log.info("settings: %d values from %s", len(applied), path.name)
    return applied
