"""Status routes of long-running admin work (retraining, forecast refresh), as API.md asks:
`/api/...` routes checked with the caller's token.

The durable management URLs (`create_http_management_payload`) carry the host's system key: with
it anyone could read and purge every orchestration, customers' order workflows included. So the
202 of an admin job points at one of these routes instead, and the key never leaves the server.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from shared.http import Response
from shared.kernel.errors import NotFound
from shared.kernel.schema import ApiModel


def accepted(instance_id: str, status_url: str) -> Response:
    """The 202 of a started admin job: its id and our own status route (never the durable URLs)."""
    return Response(
        {"instanceId": instance_id, "statusQueryGetUri": status_url},
        status=202,
        headers={"Location": status_url, "Retry-After": "5"},
    )


# What an instance id of ours looks like (the SDK's uuids, `forecast-refresh-20261202`, product ids).
# The SDK puts the id into the management URL unescaped: a `#` or `?` in it cut the path short, so
# `get_status` listed every instance and then failed to read that list as one status (a 500).
_INSTANCE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")


class JobStatus(ApiModel):
    instance_id: str
    name: str
    runtime_status: str
    created_time: str | None = None
    last_updated_time: str | None = None
    output: Any = None


async def job_status(
    client: Any,
    instance_id: str,
    *,
    orchestrator: str,
    name: str,
    belongs: Callable[[Any], bool] = lambda _input: True,
) -> JobStatus:
    """The instance's status, if it is an `orchestrator` instance whose input `belongs`; else 404, so
    the route cannot become a window onto other orchestrations (an order's input holds an address)."""
    if not _INSTANCE_ID.fullmatch(instance_id):
        raise NotFound(f"no {name} job with id {instance_id!r}")
    status = await client.get_status(instance_id, show_input=True)
    if status is None or status.name != orchestrator or not belongs(status.input_):
        raise NotFound(f"no {name} job with id {instance_id!r}")
    runtime = status.runtime_status
    return JobStatus(
        instance_id=instance_id,
        name=name,
        runtime_status=str(getattr(runtime, "value", runtime)),
        created_time=status.created_time.isoformat() if status.created_time else None,
        last_updated_time=status.last_updated_time.isoformat() if status.last_updated_time else None,
        output=status.output,
    )
