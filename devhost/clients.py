"""HTTP client sessions at shutdown: close the ones devhost's functions left open, report any left.

The only aiohttp client in the process is the durable SDK's: `DurableOrchestrationClient` keeps
one process-wide `aiohttp.ClientSession` (bound to the host loop) for the calls it makes to the
durable webhooks (all but start_new and get_status, which devhost/durable/inproc.py answers),
and the SDK has no shutdown hook, so nothing closed it. It was then collected at interpreter
exit, when aiohttp logs "Unclosed client session" / "Unclosed connector" as ERROR, or, depending
on the order in which modules are torn down, silently not at all. The host now closes it once
the last invocation is done (`close_client_sessions`), and `report_unclosed` checks the whole
heap for any session or connector still open, so a leak is reported every time, not by luck.
The app's own SDK clients (Cosmos, Blob, Service Bus) are the synchronous ones: nothing to close.
"""

from __future__ import annotations

import gc
import logging

log = logging.getLogger("devhost")


async def close_client_sessions() -> int:
    """Close the durable SDK's shared session if it was opened; how many sessions were closed."""
    try:
        from azure.durable_functions.models.utils import http_utils
    except ImportError:  # an older SDK kept no shared session
        return 0
    session = getattr(http_utils, "_client_session", None)
    if session is None or session.closed:
        return 0
    close = getattr(http_utils, "_close_session", None)
    if close is not None:
        await close()  # the SDK's own: also forgets it, so a later call would open a new one
    else:
        http_utils._client_session = None
        await session.close()
    log.info("closed the durable client's HTTP session")
    return 1


def report_unclosed() -> int:
    """Log an ERROR for every aiohttp session or connector still open; how many there were."""
    try:
        import aiohttp
    except ImportError:
        return 0
    gc.collect()
    found = 0
    for obj in gc.get_objects():
        if isinstance(obj, aiohttp.ClientSession) and not obj.closed:
            kind = "client session"
        elif isinstance(obj, aiohttp.BaseConnector) and not obj.closed:
            kind = "connector"
        else:
            continue
        found += 1
        log.error("Unclosed %s at exit: %s", kind, type(obj).__name__)
    return found
