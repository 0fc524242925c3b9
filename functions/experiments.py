"""A/B experiments (admin): `POST /api/experiments`, `POST /api/experiments/{name}/stop`,
`GET /api/experiments/{name}` (per-variant results, significance, sample-ratio check)."""

from __future__ import annotations

import azure.functions as func

from shared.composition import get_recs_deps
from shared.http import Api, RequestContext, Response
from shared.recommendations.schemas import ExperimentCreate, ExperimentPublic, ExperimentResults

bp = func.Blueprint()
api = Api(bp, tag="experiments")


@api.route(
    "experiments",
    methods=["POST"],
    auth=("admin",),
    body=ExperimentCreate,
    response=ExperimentPublic,
    status=201,
    errors=(409,),
    summary="Create and start an experiment (one variant named control; one running per target)",
)
def create_experiment(ctx: RequestContext) -> Response:
    body = ctx.body_as(ExperimentCreate)
    created = get_recs_deps().experiments.create(body, by=ctx.require_principal().user_id)
    return Response(
        created.model_dump(mode="json", by_alias=True),
        status=201,
        headers={"Location": f"/api/experiments/{created.name}"},
    )


@api.route(
    "experiments/{name}/stop",
    methods=["POST"],
    auth=("admin",),
    response=ExperimentPublic,
    errors=(409,),
    summary="Stop an experiment: assignment stops, results stay readable",
)
def stop_experiment(ctx: RequestContext) -> ExperimentPublic:
    return get_recs_deps().experiments.stop(ctx.route.get("name", ""))


@api.route(
    "experiments/{name}",
    methods=["GET"],
    auth=("admin",),
    response=ExperimentResults,
    summary="Per-variant exposures, conversions, rate, lift with 95% interval, p-value, and SRM check",
)
def get_experiment(ctx: RequestContext) -> ExperimentResults:
    return get_recs_deps().experiments.results(ctx.route.get("name", ""))
