"""The `durableClient` binding value: the JSON string the SDK's DurableOrchestrationClient parses.

The client uses `rpcBaseUrl` for every call, `managementUrls` for create_check_status_response
(with `id` as the placeholder it replaces by the instance id) and `taskHubName`.

Every webhook needs the durable system key, as on Azure. The management and creation URLs carry it
as `code=<key>`. The SDK builds its rpc URLs as `rpcBaseUrl + path [+ "?" + its own query]` and
ignores `requiredQueryStringParameters`, so a query parameter cannot ride on `rpcBaseUrl`: the key
travels there as a path segment instead (`.../durabletask/rpc/<key>/`), which the webhooks accept
the same way.
"""

from __future__ import annotations

import json
import secrets
from pathlib import Path
from typing import Any

from shared.kernel.devkeys import load_or_create_secret

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
RPC_SEGMENT = "rpc"
PLACEHOLDER_ID = "INSTANCEID"
SYSTEM_KEY_FILE = "durabletask_system_key"


def _new_system_key() -> bytes:
    return secrets.token_urlsafe(32).encode()  # URL-safe: goes into paths and queries unquoted


def load_system_key(data_dir: Path) -> str:
    """The durable extension's system key of this data dir (`<data_dir>/keys/`, 0600, made once)."""
    key = load_or_create_secret(data_dir, SYSTEM_KEY_FILE, _new_system_key).decode("ascii").strip()
    if not key:
        raise ValueError(f"{SYSTEM_KEY_FILE} in {data_dir / 'keys'} is empty")
    return key


def management_urls(base_url: str, hub: str, instance_id: str, system_key: str) -> dict[str, str]:
    root = f"{base_url}{WEBHOOK_PATH}/instances/{instance_id}"
    query = f"taskHub={hub}&connection=Storage&code={system_key}"
    return {
        "id": instance_id,
        "statusQueryGetUri": f"{root}?{query}",
        "sendEventPostUri": f"{root}/raiseEvent/{{eventName}}?{query}",
        "terminatePostUri": f"{root}/terminate?reason={{text}}&{query}",
        "rewindPostUri": f"{root}/rewind?reason={{text}}&{query}",
        "purgeHistoryDeleteUri": f"{root}?{query}",
        "restartPostUri": f"{root}/restart?{query}",
        "suspendPostUri": f"{root}/suspend?reason={{text}}&{query}",
        "resumePostUri": f"{root}/resume?reason={{text}}&{query}",
    }


def rpc_base_url(base_url: str, system_key: str) -> str:
    return f"{base_url.rstrip('/')}{WEBHOOK_PATH}/{RPC_SEGMENT}/{system_key}/"


def client_binding(base_url: str, hub: str, system_key: str) -> str:
    base_url = base_url.rstrip("/")
    create = f"{base_url}{WEBHOOK_PATH}/orchestrators/{{functionName}}[/{{instanceId}}]"
    doc: dict[str, Any] = {
        "taskHubName": hub,
        "creationUrls": {
            "createNewInstancePostUri": f"{create}?code={system_key}",
            "createAndWaitOnNewInstancePostUri": f"{create}?timeout={{timeoutInSeconds}}"
            f"&pollingInterval={{intervalInSeconds}}&code={system_key}",
        },
        "managementUrls": management_urls(base_url, hub, PLACEHOLDER_ID, system_key),
        "baseUrl": f"{base_url}{WEBHOOK_PATH}",
        "requiredQueryStringParameters": f"code={system_key}",
        "rpcBaseUrl": rpc_base_url(base_url, system_key),
    }
    return json.dumps(doc)


def hub_name(host_json: dict[str, Any]) -> str:
    durable = (host_json.get("extensions") or {}).get("durableTask") or {}
    return str(durable.get("hubName") or "TestHubName")
