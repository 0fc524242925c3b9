"""The daily forecast refresh as a Durable orchestration: list the skus with sales history, then
refresh them in chunks, one activity per chunk (statsforecast and pandas load in the activity
process only, never on `import function_app`). A chunk is idempotent (a retried one refits and
overwrites; its alerts are deduplicated per sku and day), so a crashed run resumes where it was.
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from shared.composition import get_document_store
from shared.kernel import workflows as wf
from shared.settings import get_settings

bp = df.Blueprint()

ORCHESTRATOR = wf.FORECAST_REFRESH
CHUNK = 8
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=3)


@bp.orchestration_trigger(context_name="context")
def forecast_refresh(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    spec = context.get_input() or {}
    skus = spec.get("skus") or (yield context.call_activity_with_retry(wf.FORECAST_LIST_SKUS, RETRY, {}))
    totals: dict[str, int] = {}
    for start in range(0, len(skus), CHUNK):
        context.set_custom_status({"step": "refresh", "done": start, "skus": len(skus)})
        counts = yield context.call_activity_with_retry(
            wf.FORECAST_REFRESH_CHUNK, RETRY, {"skus": skus[start : start + CHUNK]}
        )
        for key, n in counts.items():
            totals[key] = totals.get(key, 0) + int(n)
    context.set_custom_status({"step": "done", "skus": len(skus)})
    return {"skus": len(skus), "outcomes": totals}


@bp.activity_trigger(input_name="step")
def forecast_list_skus(step: dict) -> list[str]:
    from shared.sales.service import all_skus

    return all_skus(store=get_document_store())


@bp.activity_trigger(input_name="step")
def forecast_refresh_chunk(step: dict) -> dict[str, int]:
    from shared.replenishment.refresh import refresh_skus

    return refresh_skus(
        store=get_document_store(), skus=[str(s) for s in step["skus"]], settings=get_settings()
    )
