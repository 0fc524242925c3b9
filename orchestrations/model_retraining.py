"""Model retraining as a Durable orchestration: extract -> train (export, parity, register) ->
evaluate against the champion on the same holdout and promote if better.

Started by `POST /api/models/{name}/retrain` and the nightly timer (functions/models.py). The
orchestrator only yields activities (deterministic); each activity is idempotent by run id (the
orchestration instance id), see models/retraining.py. Activities import scikit-learn lazily, so
`import function_app` stays light. Activity inputs are plain `dict` (see order_activities.py:
the worker refuses `dict[str, Any]` on a binding).
"""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import azure.durable_functions as df

from shared.composition import get_blob_store, get_document_store
from shared.kernel import workflows as wf

bp = df.Blueprint()

ORCHESTRATOR = wf.MODEL_RETRAINING
# Storage hiccups are worth a retry; a parity failure repeats identically, so few attempts.
RETRY = df.RetryOptions(first_retry_interval_in_milliseconds=5_000, max_number_of_attempts=2)


@bp.orchestration_trigger(context_name="context")
def model_retraining(context: df.DurableOrchestrationContext) -> Generator[Any, Any, dict[str, Any]]:
    spec = context.get_input() or {}
    # "customers": size of the synthetic extract (tests use a small one); None = the default.
    step = {
        "name": spec.get("name", "fraud"),
        "runId": context.instance_id,
        "customers": spec.get("customers"),
    }
    context.set_custom_status({"step": "extract"})
    data = yield context.call_activity_with_retry(wf.RETRAIN_EXTRACT, RETRY, step)
    context.set_custom_status({"step": "train"})
    trained = yield context.call_activity_with_retry(wf.RETRAIN_TRAIN, RETRY, step)
    context.set_custom_status({"step": "evaluate"})
    evaluation = yield context.call_activity_with_retry(wf.RETRAIN_EVALUATE, RETRY, step)
    context.set_custom_status({"step": "done"})
    return {
        "name": step["name"],
        "data": data,
        "version": trained["version"],
        "metrics": trained["metrics"],
        "evaluation": evaluation,
    }


@bp.activity_trigger(input_name="step")
def retrain_extract(step: dict) -> dict[str, Any]:
    from models import retraining

    size = {"n_customers": int(step["customers"])} if step.get("customers") else {}
    labelled: list[dict[str, Any]] = []
    if step["name"] == "fraud":
        from shared.orders.fraud_labels import labelled_rows

        labelled = labelled_rows(get_document_store())  # review outcomes and chargebacks
    return retraining.extract(
        get_blob_store(), name=step["name"], run_id=step["runId"], labelled=labelled, **size
    )


@bp.activity_trigger(input_name="step")
def retrain_train(step: dict) -> dict[str, Any]:
    from models import retraining

    return retraining.train(get_blob_store(), name=step["name"], run_id=step["runId"])


@bp.activity_trigger(input_name="step")
def retrain_evaluate(step: dict) -> dict[str, Any]:
    from models import retraining

    return retraining.evaluate(get_blob_store(), name=step["name"], run_id=step["runId"])
