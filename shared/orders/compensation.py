"""Undoing an order: release or return the stock, void or refund the payment, then (and only then)
record the final status. Used by the workflow's failure paths and by cancellation.

Idempotent: each part checks the stream first. Returning consumed stock (a cancelled confirmed
order, or an order whose confirm step took the stock and then failed for good) is recorded
*before* the adjustment, so a crash between the two can at worst leave stock
uncounted (a person recounts), never count it twice (which could oversell).
"""

from __future__ import annotations

from shared.inventory import reservations
from shared.inventory.service import adjust_stock
from shared.orders.deps import OrderDeps
from shared.orders.model import IN_FLIGHT, TERMINAL, InvalidOrderState, OrderState
from shared.orders.steps import payment_view
from shared.orders.stream import NewEvent

FINAL_EVENT = {
    "out_of_stock": "OrderOutOfStock",
    "payment_failed": "OrderPaymentFailed",
    "rejected": "OrderRejected",
    "cancelled": "OrderCancelled",
}


def _load(deps: OrderDeps, order_id: str) -> OrderState:
    loaded = deps.stream.load(order_id)
    if loaded is None:
        raise LookupError(f"order {order_id} does not exist")
    return loaded.state


def compensate(
    deps: OrderDeps, order_id: str, final: str, reason: str, failure_reason: str | None = None
) -> str:
    """Undo what the order holds and end it in `final`; the order's resulting status.
    `failure_reason` (API.md `failureReason`) when the caller knows it better than the order's
    state does (who cancelled); else it is derived from `final`, `reason` and the state."""
    if final not in FINAL_EVENT:
        raise ValueError(f"unknown final status {final}")
    state = _load(deps, order_id)
    if state.status in TERMINAL:
        deps.stream.project(state)  # a retry after a crash between the final commit and projecting
        return state.status
    if state.status not in IN_FLIGHT:
        if final != "cancelled":
            raise InvalidOrderState(f"order {order_id} is {state.status}; it can only be cancelled")
        return _cancel_fulfilled(deps, state, reason, failure_reason)
    released = reservations.release(store=deps.store, order_id=order_id, reason=reason)
    if released.status == "released":
        deps.stream.update(
            order_id,
            lambda s: [("InventoryReleased", {"reason": reason})] if s.reservation == "reserved" else [],
        )
    elif released.status == "committed":
        # The confirm step consumed the reservation, then failed for good before recording the
        # confirmation: the stock left the shelf for an order that will not ship. Put it back.
        _return_stock(deps, state, IN_FLIGHT, f"order {order_id} {final} after its stock was taken")
    payment = deps.payments.release(order_id=order_id, refund_id="compensation", reason=reason)
    if payment is not None and payment.status in ("voided", "refunded"):
        kind = "PaymentVoided" if payment.status == "voided" else "PaymentRefunded"
        view = payment_view(payment)
        # A refund here (captured, then the reservation was lost) shows in the order's
        # refundedAmount too, as a refund by staff or a cancellation would.
        data = {"payment": view, "refundedAmount": payment.refunded_amount.model_dump(mode="json")}
        deps.stream.update(
            order_id,
            lambda s: (
                [(kind, data)]
                if s.payment and s.payment.status != view["status"] and s.status in IN_FLIGHT
                else []
            ),
        )
    final_data = {"reason": reason}
    if failure_reason:
        final_data["failureReason"] = failure_reason
    state = deps.stream.update(
        order_id, lambda s: [(FINAL_EVENT[final], final_data)] if s.status in IN_FLIGHT else []
    )
    return state.status


def _cancel_fulfilled(deps: OrderDeps, state: OrderState, reason: str, failure_reason: str | None) -> str:
    """A confirmed (or, by staff, shipped) order: refund what is left, put unshipped stock back."""
    order_id = state.id
    payment = deps.payments.release(order_id=order_id, refund_id="cancellation", reason=reason)
    # Shipped stock is gone; only a confirmed order's goods are still in the warehouse.
    _return_stock(deps, state, ("confirmed",), f"order {order_id} cancelled")

    def decide(s: OrderState) -> list[NewEvent]:
        if s.status in TERMINAL:
            return []
        data: dict[str, object] = {"reason": reason}
        if failure_reason:
            data["failureReason"] = failure_reason
        if payment is not None:
            data |= {
                "payment": payment_view(payment),
                "refundedAmount": payment.refunded_amount.model_dump(mode="json"),
            }
        return [("OrderCancelled", data)]

    return deps.stream.update(order_id, decide).status


def _return_stock(deps: OrderDeps, state: OrderState, statuses: tuple[str, ...], why: str) -> bool:
    """Put the order's consumed stock back, once: `InventoryReturned` is recorded first, then the
    stock adjusted. Of two concurrent undoers exactly one appends the event (decided on the fresh
    state) and only that one adjusts (both adjusting would over-count and could oversell); a crash
    between the two under-counts at worst. True if this call returned the stock."""
    returned = False

    def mark_returned(s: OrderState) -> list[NewEvent]:
        nonlocal returned
        returned = s.status in statuses and not s.restocked
        return [("InventoryReturned", {})] if returned else []

    deps.stream.update(state.id, mark_returned)
    if returned:
        for item in state.items:
            adjust_stock(store=deps.store, sku=item.sku, delta=item.quantity, reason=why, actor="orders")
    return returned
