"""Refund requests: a customer asks for their money back on a delivered (shipped) order; support or
an admin approves or rejects it.

Approval goes through the one refund path (`service.refund_order`: the payment ledger, the
provider, `OrderRefunded` on the order), keyed by the request id, so approving twice (a retry, two
staff members at once) refunds once and answers the same result. The request's decision is
recorded after the refund; a crash between the two is repaired by approving again.
"""

from __future__ import annotations

from shared.kernel.errors import Conflict, Forbidden, NotFound, ValidationFailed
from shared.kernel.identity import Principal
from shared.kernel.ids import prefixed_id
from shared.orders import service
from shared.orders.deps import OrderDeps
from shared.orders.model import InvalidOrderState, OrderState, RefundRequestPublic
from shared.orders.schemas import RefundRequest, RefundRequestDecisionIn, RefundRequestIn
from shared.orders.stream import NewEvent


class RefundRequestOpen(Conflict):
    code = "refund_request_open"
    title = "A refund request for this order is waiting for a decision"


class RefundRequestDecided(Conflict):
    code = "refund_request_decided"
    title = "The refund request was decided already"


def _find(state: OrderState, request_id: str) -> RefundRequestPublic:
    found = next((r for r in state.refund_requests if r.id == request_id), None)
    if found is None:
        raise NotFound("the refund request does not exist")
    return found


def request_refund(
    deps: OrderDeps, order_id: str, principal: Principal, body: RefundRequestIn
) -> RefundRequestPublic:
    """The order's owner asks; 409 unless the order is shipped and no other request is open."""
    state = service.get_order(deps, order_id, principal)
    if principal.user_id != state.customer_id:
        # Staff see the order but refund directly (POST /orders/{id}/refunds): a request is the
        # customer's own.
        raise Forbidden("only the order's customer requests a refund; staff refund directly")
    if body.amount is not None and body.amount.currency != state.currency:
        raise ValidationFailed.field("amount.currency", f"must be {state.currency}", code="currency_mismatch")
    request_id = prefixed_id("rr_")
    data = {
        "id": request_id,
        "amount": body.amount.model_dump(mode="json") if body.amount is not None else None,
        "reason": body.reason,
        "requestedBy": principal.user_id,
    }

    def decide(s: OrderState) -> list[NewEvent]:
        if s.status != "shipped":
            raise InvalidOrderState(
                f"order {order_id} is {s.status}; a refund is requested for a delivered order",
                code="order_not_delivered",
            )
        if any(r.status == "requested" for r in s.refund_requests):
            raise RefundRequestOpen(f"order {order_id} has a refund request waiting for a decision")
        return [("RefundRequested", data)]

    updated = deps.stream.update(order_id, decide)
    return _find(updated, request_id)


def list_requests(deps: OrderDeps, order_id: str, principal: Principal) -> list[RefundRequestPublic]:
    return list(service.get_order(deps, order_id, principal).refund_requests)


def approve(
    deps: OrderDeps,
    order_id: str,
    request_id: str,
    principal: Principal,
    decision: RefundRequestDecisionIn | None,
) -> RefundRequestPublic:
    """Refund what the request asked for (the existing refund path), then mark it approved."""
    state = service.get_order(deps, order_id, principal)
    current = _find(state, request_id)
    if current.status == "approved":
        return current
    if current.status == "rejected":
        raise RefundRequestDecided(f"refund request {request_id} was rejected")
    refund = service.refund_order(
        deps,
        order_id,
        principal,
        RefundRequest(amount=current.amount, reason=f"refund request {request_id}: {current.reason}"),
        # The key makes the refund idempotent per request (service.refund_order derives its id).
        f"refund-request:{request_id}",
    )
    note = decision.note if decision is not None else None
    data = {"requestId": request_id, "by": principal.sub, "note": note, "refundId": refund.refund_id}

    def decide(s: OrderState) -> list[NewEvent]:
        if _find(s, request_id).status != "requested":
            return []
        return [("RefundRequestApproved", data)]

    return _find(deps.stream.update(order_id, decide), request_id)


def reject(
    deps: OrderDeps,
    order_id: str,
    request_id: str,
    principal: Principal,
    decision: RefundRequestDecisionIn | None,
) -> RefundRequestPublic:
    state = service.get_order(deps, order_id, principal)
    _find(state, request_id)
    note = decision.note if decision is not None else None
    data = {"requestId": request_id, "by": principal.sub, "note": note}

    def decide(s: OrderState) -> list[NewEvent]:
        status = _find(s, request_id).status
        if status == "rejected":
            return []
        if status == "approved":
            raise RefundRequestDecided(f"refund request {request_id} was approved and refunded")
        return [("RefundRequestRejected", data)]

    return _find(deps.stream.update(order_id, decide), request_id)
