"""Starting order workflows that never started, and the durable-client checks around a start.

`POST /orders` records `OrderCreated`, then starts the workflow (instance id = order id). A process
that dies between the two leaves an order `pending` that nothing processes unless the client
retries with its Idempotency-Key. The recovery sweep (a timer trigger, `functions/orders.py`)
finds `pending` orders older than a grace period that have no workflow instance and starts one.

Starting is "read the instance, start only if there is none": a start that races another start
(the POST's retry, a second sweep) meets the durable engine's refusal of a duplicate id for a live
instance (devhost: 409; Azure: an error), and the loser only checks that an instance now exists.
A finished instance is never restarted here: an id that names a finished instance would start
afresh on both engines, and a workflow that ended without finishing its order is the cancel
path's job (`cancel_without_workflow`), not a silent re-run.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from shared.orders.deps import OrderDeps
from shared.ports.documents import Filter, Query

log = logging.getLogger("smartcommerce.orders.recovery")

# The durable runtime statuses in which an instance still acts on the order (and on events).
LIVE = frozenset({"Running", "Pending", "ContinuedAsNew", "Suspended"})
# Per sweep: stop after looking at this many candidates (each costs a status read), so one run
# stays short however many orders sit pending; the next run continues.
SCAN_LIMIT = 200
PAGE_SIZE = 50


async def runtime_status(client: Any, order_id: str) -> str | None:
    """The workflow instance's runtime status name, None if there is no such instance."""
    status = await client.get_status(order_id)
    runtime = getattr(status, "runtime_status", None) if status is not None else None
    if runtime is None:
        return None
    return str(getattr(runtime, "value", runtime))


async def ensure_started(client: Any, workflow: str, order_id: str, options: dict[str, Any]) -> bool:
    """Start the order's workflow unless an instance exists; True if this call started it.

    Raises if the start failed and still no instance exists: the caller must not report success
    for an order nothing will ever process."""
    if await runtime_status(client, order_id) is not None:
        return False
    try:
        await client.start_new(workflow, order_id, options)
    except Exception:
        # Fine if another caller started it between our read and our start (the engine refused
        # the duplicate id); anything else is a real failure.
        if await runtime_status(client, order_id) is None:
            raise
        log.info("workflow %s was started concurrently", order_id)
        return False
    return True


def stale_pending(deps: OrderDeps, *, older_than: datetime, limit: int = SCAN_LIMIT) -> list[str]:
    """Ids of orders `pending` since before `older_than`, newest first, at most `limit`.

    Read from the stream heads, not the `orders` read model: the crash this repairs may also have
    cut off the projection written after the commit. Newest first because an orphan is usually
    recent (the sweep runs every minute), while orders pending for long mostly have a live
    workflow (a capture or compensation waiting out a provider outage) and would crowd it out."""
    cutoff = older_than.astimezone(UTC).isoformat()
    query = Query(
        where=(
            Filter("docType", "=", "order_head"),
            Filter("status", "=", "pending"),
            Filter("createdAt", "<=", cutoff),
        ),
        order_by=(("createdAt", "desc"),),
    )
    ids: list[str] = []
    token: str | None = None
    while len(ids) < limit:
        page = deps.stream.streams.query(
            query, max_items=min(PAGE_SIZE, limit - len(ids)), continuation_token=token
        )
        ids.extend(str(doc["id"]) for doc in page.items)
        token = page.continuation_token
        if not token:
            break
    return ids[:limit]


async def recover_orphans(
    client: Any,
    deps: OrderDeps,
    *,
    workflow: str,
    grace_seconds: int,
    now: datetime | None = None,
    limit: int = SCAN_LIMIT,
) -> list[str]:
    """Start the workflow of every stale pending order that has none; the ids started."""
    moment = now or datetime.now(UTC)
    started: list[str] = []
    for order_id in stale_pending(deps, older_than=moment - timedelta(seconds=grace_seconds), limit=limit):
        try:
            if await ensure_started(
                client, workflow, order_id, {"reviewTimeoutSeconds": deps.review_timeout_seconds}
            ):
                started.append(order_id)
                log.warning("order %s had no workflow: started it", order_id)
        except Exception:
            # One order's trouble must not stop the others; the next run tries it again.
            log.exception("could not start the workflow of order %s", order_id)
    return started
