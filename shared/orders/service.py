"""Order commands and queries behind the HTTP triggers (the workflow steps are in steps.py).

Idempotency of `POST /orders`: with an `Idempotency-Key` the order id is derived from the caller
and the key, so two identical requests (even concurrent ones) race to create the same stream and
exactly one `OrderCreated` exists; the request's hash is kept in that event, so the same key with
a different body is recognised (422). Refunds do the same with the refund id.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Literal

from shared.catalog.model import etag_matches
from shared.kernel.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from shared.kernel.identity import Principal, ensure_owner
from shared.kernel.ids import derived_id, prefixed_id
from shared.orders.compensation import compensate
from shared.orders.deps import OrderDeps
from shared.orders.model import IN_FLIGHT, TERMINAL, InvalidOrderState, OrderState, order_etag
from shared.orders.pricing import Line, price_lines
from shared.orders.schemas import PlaceOrder, RefundRequest, RefundResult, ShipRequest
from shared.orders.steps import payment_view
from shared.orders.stream import Loaded, NewEvent, StreamConflict
from shared.ports.documents import Filter, Page, Query
from shared.users.directory import find_profile


class IdempotencyKeyReused(ValidationFailed):
    code = "idempotency_key_reused"


class NotAwaitingReview(InvalidOrderState):
    """A /review for an order no workflow is waiting on a decision for (API.md: 409)."""

    code = "not_awaiting_review"


def request_hash(body: Any) -> str:
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class Placed:
    order_id: str
    status: str
    created: bool


def _address(deps: OrderDeps, principal: Principal, request: PlaceOrder) -> dict[str, Any]:
    if request.shipping_address is not None:
        return request.shipping_address.model_dump(mode="json", by_alias=True, exclude={"is_default"})
    profile = find_profile(deps.store, principal.user_id) or {}
    for address in profile.get("addresses") or []:
        if address.get("id") == request.shipping_address_id:
            return {k: v for k, v in address.items() if k not in ("isDefault",)}
    raise ValidationFailed.field("shippingAddressId", "unknown address", code="unknown_address")


def _same_request(state: OrderState, digest: str) -> OrderState:
    if state.request_hash != digest:
        raise IdempotencyKeyReused.field("Idempotency-Key", "was used with a different request body")
    return state


def place_order(deps: OrderDeps, principal: Principal, request: PlaceOrder, key: str | None) -> Placed:
    digest = request_hash(request.model_dump(mode="json", by_alias=True))
    order_id = derived_id("ord_", principal.user_id, key) if key else prefixed_id("ord_")
    existing = deps.stream.load(order_id)
    if existing is not None:
        _same_request(existing.state, digest)
        # API.md: a repeat returns the first result ({orderId, status: "pending"}), whatever the
        # workflow has done since; GET /orders/{id} tells the current status.
        return Placed(order_id, "pending", created=False)
    try:
        # Also the existence check: the token must be the caller's.
        fingerprint = deps.payments.vault.fingerprint(request.payment_token, principal.user_id)
    except NotFound:
        raise ValidationFailed.field(
            "paymentToken", "unknown payment token", code="unknown_payment_token"
        ) from None
    priced = price_lines(deps.store, [Line(i.sku, i.quantity) for i in request.items])
    zero = priced.total - priced.total
    created = {
        "id": order_id,
        "customerId": principal.user_id,
        "items": [i.model_dump(mode="json", by_alias=True) for i in priced.items],
        "subtotal": priced.subtotal.model_dump(mode="json"),
        "total": priced.total.model_dump(mode="json"),
        "refundedAmount": zero.model_dump(mode="json"),
        "currency": priced.currency,
        "shippingAddress": _address(deps, principal, request),
        "paymentToken": request.payment_token,
        "cardFingerprint": fingerprint,
        "customerEmail": principal.email,
        "requestHash": digest,
    }
    try:
        deps.stream.append(order_id, None, [("OrderCreated", created)])
    except StreamConflict:  # the same key, concurrently: the other request created it
        loaded = deps.stream.load(order_id)
        assert loaded is not None
        _same_request(loaded.state, digest)
        return Placed(order_id, "pending", created=False)
    return Placed(order_id, "pending", created=True)


def check_if_match(state: OrderState, if_match: str | None) -> None:
    """An optional `If-Match` on an order command: 412 when the order moved on since it was read."""
    if if_match is not None and not etag_matches(if_match, order_etag(state)):
        raise PreconditionFailed("the order changed since it was read; fetch it again")


def get_order(deps: OrderDeps, order_id: str, principal: Principal) -> OrderState:
    loaded: Loaded | None = deps.stream.load(order_id)
    if loaded is None:
        raise NotFound("the order does not exist")
    ensure_owner(principal, loaded.state.customer_id)
    return loaded.state


def list_orders(
    deps: OrderDeps, principal: Principal, *, status: str | None, limit: int, token: str | None
) -> Page:
    where = [Filter("status", "=", status)] if status else []
    order: tuple[tuple[str, Literal["asc", "desc"]], ...] = (("createdAt", "desc"),)
    try:
        if principal.is_staff:
            query = Query(where=(Filter("docType", "=", "order"), *where), order_by=order)
            return deps.stream.orders.query(query, max_items=limit, continuation_token=token)
        return deps.stream.lists.query(
            Query(where=tuple(where), order_by=order),
            partition_key=principal.user_id,
            max_items=limit,
            continuation_token=token,
        )
    except ValueError:  # the adapters' answer to a token they did not issue: the client's mistake
        raise ValidationFailed.field("continuationToken", "not a token this list returned") from None


def order_events(deps: OrderDeps, order_id: str, principal: Principal) -> list[dict[str, Any]]:
    get_order(deps, order_id, principal)
    return deps.stream.events(order_id)


def _cancelled_by(principal: Principal, state: OrderState) -> str:
    """`failureReason` of a cancellation: staff cancelling someone else's order, or the customer."""
    if principal.is_staff and principal.user_id != state.customer_id:
        return "cancelled_by_staff"
    return "cancelled_by_customer"


def request_cancel(deps: OrderDeps, order_id: str, principal: Principal, if_match: str | None = None) -> str:
    """`signal`: the workflow is running and must undo its steps (tell it); `done`: cancelled here."""
    state = get_order(deps, order_id, principal)
    check_if_match(state, if_match)
    by = _cancelled_by(principal, state)
    if state.status in IN_FLIGHT:
        state = deps.stream.update(
            order_id,
            lambda s: (
                [
                    (
                        "OrderCancellationRequested",
                        {"by": principal.sub, "byStaff": by == "cancelled_by_staff"},
                    )
                ]
                if s.status in IN_FLIGHT and not s.cancel_requested
                else []
            ),
        )
        if state.status in IN_FLIGHT:
            return "signal"
        # The workflow moved the order on between our read and our write (confirmed or ended it), so
        # no request was recorded and the workflow will not look for one: decide on the new status,
        # rather than answer 202 for a cancellation nobody will carry out.
    if state.status in TERMINAL:
        raise InvalidOrderState(f"order {order_id} is {state.status}", code="order_finished")
    if state.status == "shipped" and not principal.is_staff:
        raise InvalidOrderState("a shipped order can only be cancelled by support", code="order_shipped")
    compensate(deps, order_id, "cancelled", "cancelled on request", by)
    return "done"


def cancel_without_workflow(deps: OrderDeps, order_id: str) -> str:
    """Undo and cancel an in-flight order that no workflow runs (its `POST /orders` died between
    recording the order and starting the workflow): nobody else would ever act on the request.
    Safe if a workflow starts late after all: the cancellation is in the stream before this runs,
    so its steps stop, and a released reservation leaves a tombstone a late reserve respects."""
    return compensate(deps, order_id, "cancelled", "cancelled on request")


def check_reviewable(deps: OrderDeps, order_id: str) -> OrderState:
    loaded = deps.stream.load(order_id)
    if loaded is None:
        raise NotFound("the order does not exist")
    state = loaded.state
    # Already decided (the approved order stays `awaiting_review` until it is confirmed) or being
    # cancelled: a second decision would be answered 202 and ignored.
    if state.status != "awaiting_review" or state.cancel_requested or state.review is not None:
        raise NotAwaitingReview(f"order {order_id} is {state.status}, not awaiting review")
    return loaded.state


def refund_order(
    deps: OrderDeps,
    order_id: str,
    principal: Principal,
    request: RefundRequest,
    key: str | None,
    if_match: str | None = None,
) -> RefundResult:
    state = get_order(deps, order_id, principal)
    digest = request_hash(request.model_dump(mode="json", by_alias=True))
    refund_id = derived_id("rf_", order_id, key) if key else prefixed_id("rf_")
    done = next((r for r in state.refunds if r["refundId"] == refund_id), None)
    if done is not None:
        if done.get("requestHash") != digest:
            raise IdempotencyKeyReused.field("Idempotency-Key", "was used with a different request body")
        return RefundResult(refund_id=refund_id, amount=done["amount"], status="succeeded")
    check_if_match(state, if_match)  # after the replay check: a repeat answers the first result
    if state.status not in ("confirmed", "shipped"):
        raise InvalidOrderState(
            f"order {order_id} is {state.status}; only a confirmed or shipped order is refunded"
        )
    if request.amount is not None and request.amount.currency != state.currency:
        raise ValidationFailed.field("amount.currency", f"must be {state.currency}", code="currency_mismatch")
    payment, record = deps.payments.refund(
        order_id=order_id, refund_id=refund_id, amount=request.amount, reason=request.reason
    )
    data = {
        "refundId": refund_id,
        "refund": record.amount.model_dump(mode="json"),
        "reason": request.reason,
        "refundedAmount": payment.refunded_amount.model_dump(mode="json"),
        "requestHash": digest,
        "payment": payment_view(payment),
    }

    def decide(s: OrderState) -> list[NewEvent]:
        if any(r["refundId"] == refund_id for r in s.refunds):
            return []
        if s.status not in ("confirmed", "shipped"):  # cancelled meanwhile: the money is back anyway
            raise Conflict(
                f"order {order_id} changed to {s.status} during the refund", code="invalid_order_state"
            )
        return [("OrderRefunded", data)]

    deps.stream.update(order_id, decide)
    return RefundResult(refund_id=refund_id, amount=record.amount, status="succeeded")


def ship_order(
    deps: OrderDeps, order_id: str, shipment: ShipRequest | None = None, if_match: str | None = None
) -> OrderState:
    if deps.stream.load(order_id) is None:
        raise NotFound("the order does not exist")
    data: dict[str, Any] = {}
    if shipment is not None:
        data = {"carrier": shipment.carrier, "trackingNumber": shipment.tracking_number}

    def decide(s: OrderState) -> list[NewEvent]:
        check_if_match(s, if_match)
        if s.status != "confirmed":
            raise InvalidOrderState(f"order {order_id} is {s.status}; only a confirmed order ships")
        return [("OrderShipped", data)]

    return deps.stream.update(order_id, decide)
