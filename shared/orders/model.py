"""The order: its public shape, its internal state, and the projection from its event stream.

`apply` is the whole state machine: each stream event names a transition and the statuses it may
happen from, so an illegal move (ship a pending order, refund a rejected one) is refused here, for
the HTTP service and the workflow's activities alike, before anything is written.
"""

from __future__ import annotations

import hashlib
import json
import weakref
from typing import Any, Literal

from pydantic import Field

from shared.kernel.errors import Conflict
from shared.kernel.frozen import freeze_json
from shared.kernel.money import Money
from shared.kernel.schema import ApiModel

OrderStatus = Literal[
    "pending",
    "awaiting_review",
    "confirmed",
    "shipped",
    "out_of_stock",
    "payment_failed",
    "rejected",
    "cancelled",
    "refunded",
]
TERMINAL: frozenset[str] = frozenset({"out_of_stock", "payment_failed", "rejected", "cancelled", "refunded"})
IN_FLIGHT = ("pending", "awaiting_review")
# Why an order ended without being fulfilled (API.md v1.1). `processing_error`: a step failed for
# good after its retries and the order was undone (no customer or staff asked for it).
FailureReason = Literal[
    "card_declined",
    "insufficient_funds",
    "payment_error",
    "out_of_stock",
    "fraud_rejected",
    "review_timeout",
    "cancelled_by_customer",
    "cancelled_by_staff",
    "processing_error",
]
# Decline codes of the payment provider that are shown as they are; any other failure to pay is
# `payment_error` (the provider's own codes are not part of the contract).
_SHOWN_DECLINES = frozenset({"card_declined", "insufficient_funds"})
RefundRequestStatus = Literal["requested", "approved", "rejected"]

# Event type -> (statuses it may happen in, status it leads to or None to keep the status).
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "InventoryReserved": (IN_FLIGHT, None),
    "InventoryReleased": (("pending", "awaiting_review", "confirmed", "shipped"), None),
    "PaymentAuthorized": (IN_FLIGHT, None),
    "PaymentFailed": (IN_FLIGHT, None),
    "FraudChecked": (IN_FLIGHT, None),
    "OrderAwaitingReview": (("pending",), "awaiting_review"),
    "OrderReviewed": (("awaiting_review",), None),
    "PaymentCaptured": (IN_FLIGHT, None),
    "PaymentVoided": (("pending", "awaiting_review"), None),
    "PaymentRefunded": (("pending", "awaiting_review", "confirmed", "shipped"), None),
    # In flight too: a confirm that consumed the reservation, then failed for good, is undone.
    "InventoryReturned": (("pending", "awaiting_review", "confirmed", "shipped"), None),
    "OrderConfirmed": (IN_FLIGHT, "confirmed"),
    "InventoryCommitted": (("confirmed",), None),
    "NotificationRequested": (("confirmed", "shipped", "cancelled", "refunded"), None),
    "OrderOutOfStock": (IN_FLIGHT, "out_of_stock"),
    "OrderPaymentFailed": (IN_FLIGHT, "payment_failed"),
    "OrderRejected": (IN_FLIGHT, "rejected"),
    "OrderCancellationRequested": (IN_FLIGHT, None),
    "OrderCancelled": (("pending", "awaiting_review", "confirmed", "shipped"), "cancelled"),
    "OrderRefunded": (("confirmed", "shipped"), None),
    "OrderShipped": (("confirmed",), "shipped"),
    # A customer asks for their money back on a delivered order; staff decide (refund_requests.py).
    "RefundRequested": (("shipped",), None),
    "RefundRequestApproved": (("shipped", "refunded"), None),
    "RefundRequestRejected": (("confirmed", "shipped", "cancelled", "refunded"), None),
}
FINAL_EVENTS = ("OrderOutOfStock", "OrderPaymentFailed", "OrderRejected", "OrderCancelled")


class InvalidOrderState(Conflict):
    code = "invalid_order_state"
    title = "The order is not in a state that allows this"


class OrderItem(ApiModel):
    sku: str
    product_id: str
    name: str
    quantity: int
    unit_price: Money
    line_total: Money


class OrderPayment(ApiModel):
    payment_id: str
    status: str
    last4: str


class OrderFraud(ApiModel):
    score: float
    decision: str
    model_version: str | None = None


class Shipment(ApiModel):
    carrier: str | None = None
    tracking_number: str | None = None
    shipped_at: str


class RefundRequestPublic(ApiModel):
    """A customer's request for a refund of a delivered order, and what staff decided."""

    id: str
    status: RefundRequestStatus
    amount: Money | None = Field(None, description="null: everything not refunded yet")
    reason: str
    requested_by: str
    created_at: str
    decided_at: str | None = None
    decided_by: str | None = None
    note: str | None = None
    refund_id: str | None = Field(None, description="the refund made when the request was approved")


class Order(ApiModel):
    """The order as API.md shows it."""

    id: str
    customer_id: str
    status: OrderStatus
    items: list[OrderItem]
    subtotal: Money
    total: Money
    refunded_amount: Money
    currency: str
    shipping_address: dict[str, Any]
    payment: OrderPayment | None = None
    fraud: OrderFraud | None = None
    failure_reason: FailureReason | None = Field(
        None, description="why the order ended unfulfilled; null while it is in flight or fulfilled"
    )
    shipment: Shipment | None = None
    refund_requests: list[RefundRequestPublic] = Field(default_factory=list)
    created_at: str
    updated_at: str


class OrderState(Order):
    """The projection the workflow and services work with: the public order plus bookkeeping."""

    version: int = 0
    payment_token: str = Field("", repr=False)
    # HMAC fingerprint of the token's card (shared.payments.vault), None if the token predates them.
    # Internal like the token: kept in the stream and the customer's list for the fraud check only.
    card_fingerprint: str | None = None
    cancel_requested: bool = False
    cancel_requested_by_staff: bool = False
    customer_email: str | None = None
    risk_signal: str = "normal"
    request_hash: str = ""
    reservation: str | None = None  # reserved / released / committed, as recorded in the stream
    review: dict[str, Any] | None = None
    notified: list[str] = Field(default_factory=list)
    restocked: bool = False
    refunds: list[dict[str, Any]] = Field(default_factory=list)  # {refundId, amount, requestHash}

    def public(self) -> Order:
        # Every field of Order is a field of this already validated model, of the same type:
        # building it field by field skips a dump and a second validation of the whole order
        # (the read path and every projection ran both; docs/performance.md).
        return Order.model_construct(**{name: getattr(self, name) for name in _ORDER_FIELDS})

    @property
    def captured(self) -> bool:
        return self.payment is not None and self.payment.status in (
            "captured",
            "partially_refunded",
            "refunded",
        )


_ORDER_FIELDS = tuple(Order.model_fields)


def order_etag(state: OrderState) -> str:
    """The order's HTTP entity tag: a digest of what a client sees of it. Not the stream version:
    bookkeeping events (a notification requested, the reservation committed) move that on right
    after the order looks final, and a support agent's `If-Match` would then fail for a change
    they cannot see. Weak, because such an event still moves `updatedAt`."""
    return public_view(state)[1]


def _etag_of(order: Order) -> str:
    view = order.model_dump(mode="json", by_alias=True, exclude={"updated_at"})
    canonical = json.dumps(view, sort_keys=True, separators=(",", ":"))
    return f'W/"{hashlib.sha256(canonical.encode()).hexdigest()[:24]}"'


# id(state) -> (the state, its public order, that order's ETag). States are never mutated (`apply`
# copies, the stream keeps one validated state per head ETag), so what a client sees of one is
# computed once: a polled order's GET sends the same object's frozen JSON until its head changes.
_views: dict[int, tuple[weakref.ref[OrderState], Order, str]] = {}


def public_view(state: OrderState) -> tuple[Order, str]:
    """`(state.public(), order_etag(state))`, memoized per state object; the order's JSON is
    frozen (`shared.kernel.frozen`), so `render` sends bytes made once. Callers must not mutate
    the returned order."""
    key = id(state)
    hit = _views.get(key)
    if hit is not None and hit[0]() is state:
        return hit[1], hit[2]
    order = state.public()
    etag = _etag_of(order)
    freeze_json(order)

    def forget(_: weakref.ref[OrderState]) -> None:
        # Runs while the state is freed, before its id can be reused (as in shared.kernel.frozen).
        entry = _views.get(key)
        if entry is not None and entry[0]() is None:
            _views.pop(key, None)

    _views[key] = (weakref.ref(state, forget), order, etag)
    return order, etag


def failure_reason_for(state: OrderState, event_type: str, data: dict[str, Any]) -> str | None:
    """The `failureReason` a final event gives the order (events written before the field existed
    carry none: it is derived from their `reason` and the order's state, so a replay agrees)."""
    given = data.get("failureReason")
    if isinstance(given, str) and given:
        return given
    reason = str(data.get("reason") or "")
    if event_type == "OrderOutOfStock":
        return "out_of_stock"
    if event_type == "OrderPaymentFailed":
        return reason if reason in _SHOWN_DECLINES else "payment_error"
    if event_type == "OrderRejected":
        return "review_timeout" if (state.review or {}).get("timedOut") else "fraud_rejected"
    if event_type == "OrderCancelled":
        if reason == "processing_error":
            return "processing_error"
        return "cancelled_by_staff" if state.cancel_requested_by_staff else "cancelled_by_customer"
    return None


def _refund_request(state: OrderState, request_id: str) -> RefundRequestPublic:
    found = next((r for r in state.refund_requests if r.id == request_id), None)
    if found is None:
        raise InvalidOrderState(f"order {state.id} has no refund request {request_id}")
    return found


def _decide_refund_request(
    state: OrderState, data: dict[str, Any], status: str, at: str
) -> list[RefundRequestPublic]:
    current = _refund_request(state, str(data["requestId"]))
    decided = current.model_copy(
        update={
            "status": status,
            "decided_at": at,
            "decided_by": data.get("by"),
            "note": data.get("note"),
            "refund_id": data.get("refundId"),
        }
    )
    return [decided if r.id == current.id else r for r in state.refund_requests]


def check_transition(state: OrderState, event_type: str) -> None:
    allowed, _ = TRANSITIONS[event_type]
    if state.status not in allowed:
        raise InvalidOrderState(f"order {state.id} is {state.status}: {event_type} is not allowed")


def apply(state: OrderState | None, event_type: str, data: dict[str, Any], at: str) -> OrderState:
    """The state after one event. `OrderCreated` starts the stream; every other type is guarded."""
    if event_type == "OrderCreated":
        if state is not None:
            raise InvalidOrderState("the order exists already")
        created = OrderState.model_validate({**data, "status": "pending", "createdAt": at, "updatedAt": at})
        return created.model_copy(update={"version": 1})
    if state is None:
        raise InvalidOrderState(f"{event_type} before OrderCreated")
    check_transition(state, event_type)
    _, target = TRANSITIONS[event_type]
    update: dict[str, Any] = {"version": state.version + 1, "updated_at": at}
    if target is not None:
        update["status"] = target
    if event_type in ("InventoryReserved", "InventoryReleased", "InventoryCommitted"):
        update["reservation"] = {
            "InventoryReserved": "reserved",
            "InventoryReleased": "released",
            "InventoryCommitted": "committed",
        }[event_type]
    elif event_type == "InventoryReturned":
        update["restocked"] = True
    elif event_type == "OrderReviewed":
        update["review"] = dict(data)
    elif event_type == "NotificationRequested":
        update["notified"] = [*state.notified, data["kind"]]
    elif event_type in (
        "PaymentAuthorized",
        "PaymentFailed",
        "PaymentCaptured",
        "PaymentVoided",
        "PaymentRefunded",
    ):
        update["payment"] = OrderPayment.model_validate(data["payment"])
        update["risk_signal"] = data.get("riskSignal", state.risk_signal)
        if event_type == "PaymentRefunded" and data.get("refundedAmount"):
            update["refunded_amount"] = Money.model_validate(data["refundedAmount"])
    elif event_type == "FraudChecked":
        update["fraud"] = OrderFraud.model_validate(data)
    elif event_type == "OrderCancellationRequested":
        update["cancel_requested"] = True
        update["cancel_requested_by_staff"] = bool(data.get("byStaff"))
    elif event_type == "OrderShipped":
        update["shipment"] = Shipment.model_validate(
            {
                "carrier": data.get("carrier"),
                "trackingNumber": data.get("trackingNumber"),
                "shippedAt": data.get("shippedAt") or at,
            }
        )
    elif event_type == "RefundRequested":
        request = RefundRequestPublic.model_validate({**data, "status": "requested", "createdAt": at})
        update["refund_requests"] = [*state.refund_requests, request]
    elif event_type == "RefundRequestApproved":
        update["refund_requests"] = _decide_refund_request(state, data, "approved", at)
    elif event_type == "RefundRequestRejected":
        update["refund_requests"] = _decide_refund_request(state, data, "rejected", at)
    if event_type in FINAL_EVENTS:
        update["failure_reason"] = failure_reason_for(state, event_type, data)
    if event_type == "OrderCancelled" and data.get("refundedAmount"):
        # A cancelled confirmed order: its refund is part of the cancellation, not a separate status.
        update["refunded_amount"] = Money.model_validate(data["refundedAmount"])
        if data.get("payment"):
            update["payment"] = OrderPayment.model_validate(data["payment"])
    elif event_type == "OrderRefunded":
        refunded = Money.model_validate(data["refundedAmount"])
        update["refunded_amount"] = refunded
        update["refunds"] = [
            *state.refunds,
            {
                "refundId": data["refundId"],
                "amount": data["refund"],
                "requestHash": data.get("requestHash", ""),
            },
        ]
        if data.get("payment"):
            update["payment"] = OrderPayment.model_validate(data["payment"])
        if refunded >= state.total:
            update["status"] = "refunded"
    return state.model_copy(update=update)
