"""The order: its public shape, its internal state, and the projection from its event stream.

`apply` is the whole state machine: each stream event names a transition and the statuses it may
happen from, so an illegal move (ship a pending order, refund a rejected one) is refused here, for
the HTTP service and the workflow's activities alike, before anything is written.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from shared.kernel.errors import Conflict
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
}


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
    elif event_type == "OrderCancelled" and data.get("refundedAmount"):
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
