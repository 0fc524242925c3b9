"""Models: `GET /api/models`, `POST /api/models/{name}/retrain` (admin) and the nightly retraining timer.
Training itself runs in the `model_retraining` orchestration's activities, never in a request."""

from __future__ import annotations

import logging

import azure.durable_functions as df
import azure.functions as func

from functions.admin_jobs import JobStatus, accepted, job_status
from models.catalog import ModelsPublic, describe_models
from models.registry import CONTAINER, ModelRegistry
from orchestrations.model_retraining import TRAINABLE_MODELS as TRAINABLE
from shared.composition import get_blob_store
from shared.http import Api, RequestContext, Response
from shared.kernel.errors import NotFound
from shared.kernel.workflows import MODEL_RETRAINING as ORCHESTRATOR

log = logging.getLogger(__name__)
bp = df.Blueprint()
api = Api(bp, tag="models")


@api.route(
    "models", methods=["GET"], auth=("admin",), response=ModelsPublic, summary="Every model and its versions"
)
def list_models(ctx: RequestContext) -> ModelsPublic:
    return describe_models(ModelRegistry(get_blob_store().container(CONTAINER)))


@api.route(
    "models/{name}/retrain",
    methods=["POST"],
    auth=("admin",),
    status=202,
    durable_client=True,
    summary="Start the retraining orchestration of a model",
)
async def retrain_model(ctx: RequestContext) -> Response:
    name = ctx.route.get("name", "")
    if name not in TRAINABLE:
        raise NotFound(f"no trainable model named {name!r}")
    instance_id = await ctx.client.start_new(ORCHESTRATOR, None, {"name": name})
    # Our own status route, checked with the caller's token (functions/admin_jobs.py says why).
    return accepted(instance_id, f"/api/models/{name}/retrain/{instance_id}")


@api.route(
    "models/{name}/retrain/{instanceId}",
    methods=["GET"],
    auth=("admin",),
    response=JobStatus,
    durable_client=True,
    summary="Status of a retraining started by POST /models/{name}/retrain",
)
async def retraining_status(ctx: RequestContext) -> JobStatus:
    name, instance_id = ctx.route.get("name", ""), ctx.route.get("instanceId", "")
    return await job_status(
        ctx.client,
        instance_id,
        orchestrator=ORCHESTRATOR,
        name=name,
        belongs=lambda data: isinstance(data, dict) and data.get("name") == name,
    )


@bp.timer_trigger(schedule="0 30 2 * * *", arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def nightly_retraining(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    for name in TRAINABLE:
        instance_id = await client.start_new(ORCHESTRATOR, None, {"name": name})
        log.info("nightly retraining of %s started: %s", name, instance_id)
