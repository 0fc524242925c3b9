"""Fraud: `POST /api/fraud/score` (support, admin). Thin: the body is validated by the edge, the
service scores it (model + rules, or rules alone while no model is live)."""

from __future__ import annotations

import azure.functions as func

from shared.fraud.model import FraudAssessment, FraudInput
from shared.fraud.service import score_transaction
from shared.http import Api, RequestContext

bp = func.Blueprint()
api = Api(bp, tag="fraud")


@api.route(
    "fraud/score",
    methods=["POST"],
    auth=("support", "admin"),
    body=FraudInput,
    response=FraudAssessment,
    summary="Score a transaction for fraud",
)
def score_fraud(ctx: RequestContext) -> FraudAssessment:
    return score_transaction(ctx.body_as(FraudInput))
