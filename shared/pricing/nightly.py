"""The nightly proposal run: a recommendation for every product the demand model knows; the
ones that change the price become proposals (one per product and night, deterministic ids), and
functions/pricing.py starts a `price_approval` orchestration for each. Products without a cost,
with a pending proposal, or whose recommendation keeps the price are skipped (and counted)."""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime

from shared.kernel.errors import DomainError
from shared.ports.blobs import BlobStore
from shared.ports.documents import DocumentStore
from shared.pricing import proposals
from shared.pricing.recommendation import demand_runtime, recommend_for_product
from shared.pricing.schemas import ProposalPublic
from shared.settings import Settings

log = logging.getLogger("smartcommerce.pricing")


@dataclass
class NightlyRun:
    proposals: list[ProposalPublic] = field(default_factory=list)
    skipped: Counter[str] = field(default_factory=Counter)


def propose_all(
    *, store: DocumentStore, blobs: BlobStore, settings: Settings, now: datetime | None = None
) -> NightlyRun:
    now = now or datetime.now(UTC)
    run = NightlyRun()
    loaded = demand_runtime(blobs, settings).current()
    if loaded is None:
        run.skipped["no_demand_model"] += 1
        return run
    day = now.date().isoformat()
    for product_id in loaded.metadata.get("products", []):
        pid = proposals.proposal_id(str(product_id), day)
        try:
            existing = proposals.get_proposal(store=store, id=pid)
        except DomainError:
            existing = None
        if existing is not None:
            run.proposals.append(proposals.to_public(existing))  # a re-run: its orchestration may be missing
            continue
        if proposals.pending_for(store=store, product_id=str(product_id)):
            run.skipped["pending_proposal"] += 1
            continue
        try:
            rec = recommend_for_product(
                store=store, blobs=blobs, settings=settings, product_id=str(product_id)
            )
        except DomainError as exc:
            run.skipped[exc.code] += 1
            continue
        if not rec.feasible or rec.recommended_price == rec.current_price:
            run.skipped["no_change"] += 1
            continue
        proposal, _ = proposals.create_proposal(
            store=store,
            rec=rec,
            threshold=settings.pricing_approval_threshold,
            timeout_seconds=settings.pricing_approval_timeout_seconds,
            id=pid,
            now=now,
        )
        run.proposals.append(proposal)
    log.info("nightly pricing: %d proposals, skipped %s", len(run.proposals), dict(run.skipped))
    return run
