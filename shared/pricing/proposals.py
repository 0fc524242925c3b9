"""Price proposals: the nightly recommendation as a record, its admin decision, and its outcome.

The proposal document (container `price_proposals`, partition `/id`) is the source of truth;
the `price_approval` orchestration only waits. An admin's decision is a conditional write
(`pending` -> `approved` / `rejected`, ETag-checked), so it cannot race the timeout: when the
timer fires, `settle` expires the proposal only if it is still pending, and applies it if the
approval won. Applying goes through the catalog (`update_price`: price history + `PriceUpdated`)
and only while the product still has the price the proposal was made for, so an admin's manual
change in the meantime is never overwritten. Every step is idempotent (retries, replays).
"""

from __future__ import annotations

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal

from shared.kernel.errors import Conflict, NotFound
from shared.kernel.money import Money
from shared.ports.documents import (
    Container,
    Document,
    DocumentExists,
    DocumentNotFound,
    DocumentStore,
    Filter,
    Query,
)
from shared.pricing.schemas import ProposalPublic, ProposalsPublic, RecommendationPublic
from shared.storage.retry import retry_on_conflict

CONTAINER = "price_proposals"
PARTITION_KEY = "/id"


def _container(store: DocumentStore) -> Container:
    return store.container(CONTAINER, PARTITION_KEY)


def _now() -> datetime:
    return datetime.now(UTC)


def to_public(doc: Document) -> ProposalPublic:
    return ProposalPublic.model_validate(doc)


def relative_change(rec: RecommendationPublic) -> float:
    current = float(rec.current_price.amount)
    return abs(float(rec.recommended_price.amount) - current) / current if current else 1.0


def proposal_id(product_id: str, day: str) -> str:
    """One proposal per product and night: a re-run timer finds the one it already made."""
    return f"pp-{product_id}-{day.replace('-', '')}"


def create_proposal(
    *,
    store: DocumentStore,
    rec: RecommendationPublic,
    threshold: float,
    timeout_seconds: int,
    id: str | None = None,
    now: datetime | None = None,
) -> tuple[ProposalPublic, bool]:
    """(the proposal, created now?) — an existing id is returned as it is."""
    now = now or _now()
    pid = id or f"pp-{uuid.uuid4().hex}"
    needs_approval = relative_change(rec) > threshold
    delta = Decimal(rec.expected_profit.amount) - Decimal(rec.current_expected_profit.amount)
    cur = rec.current_price.currency
    doc: Document = {
        "id": pid,
        "productId": rec.product_id,
        "sku": rec.sku,
        "currentPrice": rec.current_price.model_dump(mode="json"),
        "proposedPrice": rec.recommended_price.model_dump(mode="json"),
        # Money is never negative: a delta below zero (not proposed anyway) is shown as zero.
        "expectedProfitDelta": Money.rounded(max(delta, Decimal(0)), cur).model_dump(mode="json"),
        "status": "pending",
        "needsApproval": needs_approval,
        "createdAt": now.isoformat(),
        "expiresAt": (now + timedelta(seconds=timeout_seconds)).isoformat() if needs_approval else None,
        "modelVersion": rec.model_version,
        "elasticity": rec.elasticity,
        "binding": rec.bounds.binding,
    }
    try:
        return to_public(_container(store).create(doc)), True
    except DocumentExists:
        return to_public(_container(store).read(pid, pid)), False


def get_proposal(*, store: DocumentStore, id: str) -> Document:
    try:
        return _container(store).read(id, id)
    except DocumentNotFound:
        raise NotFound(f"price proposal {id} does not exist") from None


def pending_for(*, store: DocumentStore, product_id: str) -> list[Document]:
    query = Query(where=(Filter("productId", "=", product_id), Filter("status", "=", "pending")))
    return _container(store).query_all(query)


def _token(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode()


def _offset(token: str | None) -> int:
    if not token:
        return 0
    try:
        value = int(json.loads(base64.urlsafe_b64decode(token.encode())).get("o", 0))
    except (ValueError, TypeError, AttributeError):
        from shared.kernel.errors import ValidationFailed

        raise ValidationFailed.field("continuationToken", "is not a token this list returned") from None
    return max(value, 0)


def list_proposals(
    *, store: DocumentStore, status: str | None, limit: int, continuation_token: str | None
) -> ProposalsPublic:
    """Newest first. Proposals are few (at most one per product a night): paged in memory."""
    where = (Filter("status", "=", status),) if status else ()
    docs = _container(store).query_all(Query(where=where))
    docs.sort(key=lambda d: (d["createdAt"], d["id"]), reverse=True)
    start = _offset(continuation_token)
    page = docs[start : start + limit]
    more = start + limit < len(docs)
    return ProposalsPublic(
        items=[to_public(d) for d in page], continuation_token=_token(start + limit) if more else None
    )


def decide(
    *,
    store: DocumentStore,
    id: str,
    decision: Literal["approved", "rejected"],
    by: str,
    note: str | None = None,
) -> ProposalPublic:
    """An admin's decision; 409 unless the proposal is pending and waits for approval."""
    container = _container(store)

    def step() -> ProposalPublic:
        doc = get_proposal(store=store, id=id)
        if doc["status"] != "pending" or not doc.get("needsApproval"):
            raise Conflict(
                f"price proposal {id} is {doc['status']}, not pending", code="proposal_not_pending"
            )
        doc.update({"status": decision, "decidedAt": _now().isoformat(), "decidedBy": by, "note": note})
        # A lost race (the orchestration settled it meanwhile): read again, then 409.
        return to_public(container.replace(doc, if_match=doc["_etag"]))

    return retry_on_conflict(step, attempts=5)


def _set(container: Container, doc: Document, **changes: Any) -> Document:
    doc.update(changes)
    return container.replace(doc, if_match=doc["_etag"])  # ETagMismatch: retry_on_conflict reads again


def settle(*, store: DocumentStore, id: str, timed_out: bool) -> str:
    """The orchestration's last step: apply an approved (or auto-approved) proposal, expire a
    pending one whose time ran out. Returns the final status. Safe to repeat."""
    container = _container(store)

    def step() -> str:
        doc = get_proposal(store=store, id=id)
        status = doc["status"]
        if status in ("rejected", "expired", "applied"):
            return str(status)
        if status == "pending" and doc.get("needsApproval"):
            if not timed_out:
                return "pending"  # woken without a decision (should not happen): keep waiting
            _set(container, doc, status="expired", note="no decision before the approval timeout")
            return "expired"
        # approved by an admin, or small enough to need no approval
        outcome, note = _apply(store, doc)
        changes: dict[str, Any] = {"status": outcome, "note": note or doc.get("note")}
        if outcome == "applied":
            changes["appliedAt"] = _now().isoformat()
        _set(container, doc, **changes)
        return outcome

    return retry_on_conflict(step, attempts=5)


def _apply(store: DocumentStore, doc: Document) -> tuple[str, str | None]:
    from shared.catalog.service import read_product, update_price
    from shared.kernel.errors import PreconditionFailed

    current = Money.model_validate(doc["currentPrice"])
    proposed = Money.model_validate(doc["proposedPrice"])

    def step() -> tuple[str, str | None]:
        try:
            found = read_product(store=store, product_id=doc["productId"])  # not the read cache
        except NotFound:
            return "expired", "the product no longer exists"
        product = found.value
        if product.price == proposed:
            return "applied", None  # applied by an earlier attempt
        if product.price != current or product.status != "active":
            return "expired", "the product's price or status changed since the proposal; nothing applied"
        update_price(store=store, product_id=doc["productId"], price=proposed, if_match=found.etag)
        return "applied", None

    # A stale ETag (the product changed between the read and the write): read and decide again.
    return retry_on_conflict(step, attempts=5, conflicts=(PreconditionFailed,))
