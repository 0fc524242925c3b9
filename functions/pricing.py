"""Pricing: sku economics (admin), price recommendations, price proposals and their approval,
and the nightly timer that proposes. Thin: parse, call shared.pricing, map the result."""

from __future__ import annotations

import logging
from typing import Any

import azure.durable_functions as df
import azure.functions as func

from orchestrations.price_approval import DECISION_EVENT, ORCHESTRATOR
from shared.composition import get_blob_store, get_document_store
from shared.http import Api, RequestContext
from shared.http.parsing import parse_body
from shared.pricing import economics, proposals
from shared.pricing.schemas import (
    DecisionIn,
    ProposalListQuery,
    ProposalPublic,
    ProposalsPublic,
    RecommendationPublic,
    SkuEconomicsIn,
    SkuEconomicsPublic,
)
from shared.settings import get_settings

log = logging.getLogger("smartcommerce.pricing")
bp = df.Blueprint()
api = Api(bp, tag="pricing")
ADMIN = ("admin",)
LIVE = frozenset({"Running", "Pending", "ContinuedAsNew", "Suspended"})


@api.route("pricing/skus/{sku}", methods=["GET"], auth=ADMIN, response=SkuEconomicsPublic)
def pricing_get_sku(ctx: RequestContext) -> SkuEconomicsPublic:
    """A sku's unit cost, price bounds and lead time (admin only; never on public routes)."""
    return economics.read_economics(store=get_document_store(), sku=ctx.route["sku"])


@api.route(
    "pricing/skus/{sku}", methods=["PUT"], auth=ADMIN, body=SkuEconomicsIn, response=SkuEconomicsPublic
)
def pricing_put_sku(ctx: RequestContext) -> SkuEconomicsPublic:
    """Set a sku's unit cost (and optional MAP, min/max, competitor price, lead time, service level)."""
    return economics.put_economics(
        store=get_document_store(), sku=ctx.route["sku"], data=ctx.body_as(SkuEconomicsIn)
    )


@api.route(
    "pricing/proposals", methods=["GET"], auth=ADMIN, query=ProposalListQuery, response=ProposalsPublic
)
def pricing_list_proposals(ctx: RequestContext) -> ProposalsPublic:
    """Price proposals, newest first; filter `status`."""
    q = ctx.query_as(ProposalListQuery)
    return proposals.list_proposals(
        store=get_document_store(), status=q.status, limit=q.limit, continuation_token=q.continuation_token
    )


@api.route(
    "pricing/{productId}/recommendation",
    methods=["GET"],
    auth=ADMIN,
    response=RecommendationPublic,
    errors=(409,),  # no unit cost or no demand model yet
)
def pricing_get_recommendation(ctx: RequestContext) -> RecommendationPublic:
    """The expected-profit-maximizing price within the guardrails (ONNX demand model)."""
    from shared.pricing.recommendation import recommend_for_product

    return recommend_for_product(
        store=get_document_store(),
        blobs=get_blob_store(),
        settings=get_settings(),
        product_id=ctx.route["productId"],
    )


async def _decide(ctx: RequestContext, decision: Any) -> ProposalPublic:
    # The body is optional (`{"note": "..."}`): API.md's approve / reject take none.
    raw = ctx.req.get_body() or b""
    body = parse_body(ctx.req, DecisionIn) if raw.strip() else DecisionIn()
    assert isinstance(body, DecisionIn)
    proposal_id = ctx.route["id"]
    proposals.decide(
        store=get_document_store(),
        id=proposal_id,
        decision=decision,
        by=ctx.require_principal().sub,
        note=body.note,
    )
    try:
        await ctx.client.raise_event(proposal_id, DECISION_EVENT, {"decision": decision})
    except Exception:
        # No live orchestration takes it (it crashed, or its timer fired a moment ago): settle
        # here; settle reads the decision from the document, so this is what it would have done.
        log.info("price proposal %s: no orchestration took the decision; settling here", proposal_id)
        proposals.settle(store=get_document_store(), id=proposal_id, timed_out=False)
    return proposals.to_public(proposals.get_proposal(store=get_document_store(), id=proposal_id))


@api.route(
    "pricing/proposals/{id}/approve",
    methods=["POST"],
    auth=ADMIN,
    response=ProposalPublic,
    durable_client=True,
    errors=(409,),
)
async def pricing_approve_proposal(ctx: RequestContext) -> ProposalPublic:
    """Approve a pending proposal: the catalog applies the price (history, PriceUpdated); else 409."""
    return await _decide(ctx, "approved")


@api.route(
    "pricing/proposals/{id}/reject",
    methods=["POST"],
    auth=ADMIN,
    response=ProposalPublic,
    durable_client=True,
    errors=(409,),
)
async def pricing_reject_proposal(ctx: RequestContext) -> ProposalPublic:
    """Reject a pending proposal: the price stays; else 409."""
    return await _decide(ctx, "rejected")


async def start_approvals(client: Any, items: list[ProposalPublic]) -> int:
    """Start the orchestration of each pending proposal that has none (idempotent by id)."""
    started = 0
    for p in items:
        if p.status != "pending":
            continue
        status = await client.get_status(p.id)
        runtime = getattr(status, "runtime_status", None) if status is not None else None
        if runtime is not None and str(getattr(runtime, "value", runtime)) in LIVE | {"Completed"}:
            continue
        spec = {
            "proposalId": p.id,
            "needsApproval": p.needs_approval,
            "expiresAt": p.expires_at.isoformat() if p.expires_at else None,
        }
        await client.start_new(ORCHESTRATOR, p.id, spec)
        started += 1
    return started


@bp.timer_trigger(schedule="%PRICING_PROPOSAL_SCHEDULE%", arg_name="timer", run_on_startup=False)
@bp.durable_client_input(client_name="client")
async def pricing_nightly_proposals(timer: func.TimerRequest, client: df.DurableOrchestrationClient) -> None:
    """Nightly: propose prices; big changes wait for approval, small ones apply at once."""
    from shared.pricing.nightly import propose_all

    run = propose_all(store=get_document_store(), blobs=get_blob_store(), settings=get_settings())
    started = await start_approvals(client, run.proposals)
    log.info("nightly pricing: %d approval orchestrations started", started)
