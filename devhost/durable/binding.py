"""The `durableClient` binding value: the JSON string the SDK's DurableOrchestrationClient parses.

The client uses `rpcBaseUrl` for every call, `managementUrls` for create_check_status_response
(with `id` as the placeholder it replaces by the instance id) and `taskHubName`.
"""

from __future__ import annotations

import json
from typing import Any

WEBHOOK_PATH = "/runtime/webhooks/durabletask"
PLACEHOLDER_ID = "INSTANCEID"


def management_urls(base_url: str, hub: str, instance_id: str) -> dict[str, str]:
    root = f"{base_url}{WEBHOOK_PATH}/instances/{instance_id}"
    query = f"taskHub={hub}&connection=Storage"
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


def client_binding(base_url: str, hub: str) -> str:
    base_url = base_url.rstrip("/")
    create = f"{base_url}{WEBHOOK_PATH}/orchestrators/{{functionName}}[/{{instanceId}}]"
    doc: dict[str, Any] = {
        "taskHubName": hub,
        "creationUrls": {
            "createNewInstancePostUri": create,
            "createAndWaitOnNewInstancePostUri": f"{create}?timeout={{timeoutInSeconds}}"
            "&pollingInterval={intervalInSeconds}",
        },
        "managementUrls": management_urls(base_url, hub, PLACEHOLDER_ID),
        "baseUrl": f"{base_url}{WEBHOOK_PATH}",
        "requiredQueryStringParameters": "",
        "rpcBaseUrl": f"{base_url}{WEBHOOK_PATH}/",
    }
    return json.dumps(doc)


def hub_name(host_json: dict[str, Any]) -> str:
    durable = (host_json.get("extensions") or {}).get("durableTask") or {}
    return str(durable.get("hubName") or "TestHubName")
