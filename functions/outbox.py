"""The outbox relay in Azure: a timer trigger moving committed outbox entries to Service Bus.

Why a timer and not a Cosmos DB change-feed trigger: see docs/storage.md ("Relay in Azure").
In short: timer triggers run as a singleton across scaled-out instances (a blob lease), which
keeps the per-subject order without leases of our own; one function covers every container that
registers an outbox (a change-feed trigger needs one function and lease set per container); and
it runs the exact code devhost and the tests run. The cost is up to one schedule interval of latency.

In the embedded configuration (SQLite store) devhost runs the same relay every second as an
in-host service (devhost/services.py), so the timer stands aside there.
"""

from __future__ import annotations

import logging

import azure.functions as func

from shared.settings import get_settings

bp = func.Blueprint()
log = logging.getLogger("smartcommerce.outbox")

# OUTBOX_RELAY_SCHEDULE, resolved by the host: every 5 s by default (NCRONTAB with seconds). Why 5 s
# and what it costs (~17k executions a day): docs/storage.md, "Relay in Azure".
RELAY_SCHEDULE = "%OUTBOX_RELAY_SCHEDULE%"


@bp.function_name("outbox_relay")
@bp.timer_trigger(arg_name="timer", schedule=RELAY_SCHEDULE, run_on_startup=False, use_monitor=False)
def outbox_relay(timer: func.TimerRequest) -> None:
    published = run_relay()
    if published:
        log.info("outbox relay published %d events", published)


def run_relay() -> int:
    if get_settings().document_store != "cosmos":
        return 0  # devhost's in-host service relays the embedded store
    from shared.composition import relay_once

    return relay_once()
