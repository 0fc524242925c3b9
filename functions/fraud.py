"""Fraud: `POST /api/fraud/score` (support, admin), the review queue `GET /api/fraud/reviews`
(support, admin) and `POST /api/fraud/chargebacks` (admin: a chargeback becomes a fraud label for
retraining). Thin: the edge validates, one service function does the work."""

from __future__ import annotations

import azure.functions as func

from shared.composition import get_fraud_scorer
from shared.fraud.model import FraudAssessment, FraudInput
from shared.fraud.schemas import ChargebackIn, FraudLabelPublic
from shared.fraud.service import score_transaction
from shared.http import Api, RequestContext, Response
from shared.kernel.schema import ListQuery
from shared.orders.model import Order
from shared.orders.schemas import OrdersPage

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
    return score_transaction(ctx.body_as(FraudInput), scorer=get_fraud_scorer())


@api.route(
    "fraud/reviews",
    methods=["GET"],
    auth=("support", "admin"),
    query=ListQuery,
    response=OrdersPage,
    summary="Orders waiting for a person's fraud review, newest first",
)
def list_reviews(ctx: RequestContext) -> OrdersPage:
    # The orders context owns the query; imported here so the scoring route's cold start stays small.
    from shared.composition import get_order_deps
    from shared.orders.service import list_orders

    query = ctx.query_as(ListQuery)
    page = list_orders(
        get_order_deps(),
        ctx.require_principal(),
        status="awaiting_review",
        limit=query.limit,
        token=query.continuation_token,
    )
    items = [Order.model_validate(doc) for doc in page.items]
    return OrdersPage(items=items, continuation_token=page.continuation_token)


@api.route(
    "fraud/chargebacks",
    methods=["POST"],
    auth=("admin",),
    body=ChargebackIn,
    response=FraudLabelPublic,
    status=201,
    also=(200,),  # a repeat answers the label recorded first
    errors=(404, 409),  # an unknown order; an order that cannot be charged back
    summary="Record a chargeback: the order becomes a fraud label for retraining",
)
def record_chargeback(ctx: RequestContext) -> Response:
    from shared.composition import get_order_deps
    from shared.orders.fraud_labels import record_chargeback as record

    body = ctx.body_as(ChargebackIn)
    doc, created = record(
        get_order_deps(), order_id=body.order_id, reason=body.reason, by=ctx.require_principal().sub
    )
    label = FraudLabelPublic.from_doc(doc).model_dump(mode="json", by_alias=True)
    return Response(label, status=201 if created else 200)
