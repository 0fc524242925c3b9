"""The order workflow's steps, as plain functions the activities call (and tests call directly).

Each step is idempotent per order: it asks the owning context to do its part with a key derived
from the order id (the reservation is keyed by order, the provider call by `<orderId>:<op>`), then
records the outcome in the order's stream only if the stream does not show it yet. A step that is
retried or replayed after a crash therefore finds the work done and records nothing twice.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from shared.inventory import expiry, reservations
from shared.inventory.model import ReservationLine
from shared.inventory.reservations import ReservationNotActive
from shared.kernel.errors import NotFound
from shared.orders.commands import CONFIRMATION
from shared.orders.commands import NOTIFICATION_QUEUE as NOTIFICATION_QUEUE  # tests read it here
from shared.orders.deps import OrderDeps
from shared.orders.model import IN_FLIGHT, OrderPayment, OrderState, apply
from shared.orders.risk import fraud_input
from shared.orders.stream import NewEvent
from shared.payments.model import Payment
from shared.payments.ports import InvalidProviderRequest


def _load(deps: OrderDeps, order_id: str) -> OrderState:
    loaded = deps.stream.load(order_id)
    if loaded is None:
        raise LookupError(f"order {order_id} does not exist")
    return loaded.state


def payment_view(payment: Payment) -> dict[str, Any]:
    return OrderPayment(payment_id=payment.id, status=payment.status, last4=payment.last4).model_dump(
        mode="json", by_alias=True
    )


def _lines(state: OrderState) -> list[ReservationLine]:
    return [ReservationLine(sku=item.sku, quantity=item.quantity) for item in state.items]


def reserve(deps: OrderDeps, order_id: str) -> dict[str, Any]:
    """Hold the stock and, once held, authorize the payment and run the fraud check: everything
    recorded in one append (`InventoryReserved`, `PaymentAuthorized` or `PaymentFailed`,
    `FraudChecked`, maybe `OrderAwaitingReview`), one checkpoint of the workflow instead of
    three (round 4, docs/performance.md). The authorization's result is under `authorization`
    (an `order_authorize_payment` result), so the workflow skips that activity.

    Safe to repeat at any point, as the separate steps were: the reservation is idempotent per
    order (a repeat returns the first call's hold), so is the provider's authorization (same
    payment, never a second hold), the fraud input is relative to the order's own `createdAt`,
    and each event is recorded only if the stream does not show it yet. A crash before the
    append records nothing; the retry finds the hold and the authorization where they are. If
    the step fails for good, the workflow's compensation releases the hold and voids the
    authorization by order id, whether or not the stream recorded them.

    Out of stock: nothing is authorized. A cancellation already requested: the hold is recorded
    and nothing is authorized (the workflow undoes the hold)."""
    state = _load(deps, order_id)
    if state.status not in IN_FLIGHT:
        return {"ok": False, "finished": state.status}
    outcome = reservations.reserve(
        store=deps.store, order_id=order_id, lines=_lines(state), ttl_seconds=deps.reservation_ttl_seconds
    )
    result: dict[str, Any] = {"ok": outcome.ok, "failedSkus": outcome.failed_skus}
    if not outcome.ok:
        return {**result, "cancelRequested": state.cancel_requested}
    lines = [{"sku": x.sku, "quantity": x.quantity} for x in outcome.lines]
    if state.cancel_requested:
        state = deps.stream.update(
            order_id, lambda s: [] if s.reservation else [("InventoryReserved", {"lines": lines})]
        )
        return {**result, "cancelRequested": True}
    return {**result, "cancelRequested": False, "authorization": _authorize(deps, state, lines)}


def authorize(deps: OrderDeps, order_id: str) -> dict[str, Any]:
    """Authorize the payment and, once authorized, run the fraud check, recorded in one append:
    the `order_authorize_payment` activity, which workflows whose reservation was recorded
    before round 4 still call next (their history says so). The result carries the decision
    under `fraud` (an `order_fraud_check` result), so the workflow skips that activity."""
    state = _load(deps, order_id)
    if state.cancel_requested:
        return {"status": "cancelled"}
    return _authorize(deps, state, None)


def _authorize(deps: OrderDeps, state: OrderState, reserved: list[dict[str, Any]] | None) -> dict[str, Any]:
    """The authorization and the fraud check of `state`'s order, appended with `InventoryReserved`
    of `reserved` lines when given (see `reserve` for why repeating any part is safe)."""
    order_id = state.id
    payment = deps.payments.authorize(
        order_id=order_id, customer_id=state.customer_id, token=state.payment_token, amount=state.total
    )
    kind = "PaymentAuthorized" if payment.status == "authorized" else "PaymentFailed"
    data = {"payment": payment_view(payment), "riskSignal": payment.risk_signal, "code": payment.failure_code}
    result: dict[str, Any] = {
        "status": payment.status,
        "code": payment.failure_code,
        "riskSignal": payment.risk_signal,
    }
    checked = None
    if payment.status == "authorized" and state.fraud is None:
        # The fraud check scores the order as it is once the authorization is recorded (the
        # provider's risk signal is one of its inputs), unless an earlier attempt recorded it.
        scored = state
        if reserved is not None and not scored.reservation:
            scored = apply(scored, "InventoryReserved", {"lines": reserved}, scored.updated_at)
        if not scored.payment:
            scored = apply(scored, kind, data, scored.updated_at)
        checked = _assess(deps, scored)

    def decide(s: OrderState) -> list[NewEvent]:
        events: list[NewEvent] = []
        if reserved is not None and not s.reservation:
            events.append(("InventoryReserved", {"lines": reserved}))
        if not s.payment:
            events.append((kind, data))
        if s.fraud is None and checked is not None:
            events += _fraud_events(checked)
        return events

    state = deps.stream.update(order_id, decide)
    if payment.status != "authorized":
        return result
    decision = state.fraud.decision if state.fraud else (checked or {}).get("decision")
    if decision is None:  # only when the stream's payment is not this authorization: check apart
        return result
    return {**result, "fraud": {"decision": decision}}


def _assess(deps: OrderDeps, state: OrderState) -> dict[str, Any]:
    assessment = deps.scorer.score(fraud_input(deps, state))
    return {
        "score": assessment.score,
        "decision": assessment.decision,
        "modelVersion": assessment.model_version,
        "reasons": assessment.reasons,
    }


def _fraud_events(checked: dict[str, Any]) -> list[NewEvent]:
    events: list[NewEvent] = [("FraudChecked", checked)]
    if checked["decision"] == "review":
        events.append(("OrderAwaitingReview", {"reasons": checked["reasons"]}))
    return events


def fraud_check(deps: OrderDeps, order_id: str) -> dict[str, Any]:
    """The fraud check on its own: the `order_fraud_check` activity, which workflows whose
    authorization was recorded before round 4 still call next (their history says so)."""
    state = _load(deps, order_id)
    if state.fraud is not None:
        return {"decision": state.fraud.decision}
    checked = _assess(deps, state)
    state = deps.stream.update(order_id, lambda s: [] if s.fraud is not None else _fraud_events(checked))
    return {"decision": state.fraud.decision if state.fraud else checked["decision"]}


def extend_for_review(deps: OrderDeps, order_id: str, review_until: str) -> dict[str, Any]:
    """Keep the order's stock held through a person's review: reservations are made with the
    short TTL, so one whose workflow died frees its stock soon. `review_until` is when the
    workflow's review timer fires (from the orchestration's clock, so a retry or replay asks for
    the same expiry: idempotent); the reservation is kept until then plus one TTL of margin."""
    state = _load(deps, order_id)
    if state.status not in IN_FLIGHT:
        return {"status": "finished", "finished": state.status}
    deadline = datetime.fromisoformat(review_until)
    if deadline.tzinfo is None:  # the orchestration's clock is UTC, sometimes without the offset
        deadline = deadline.replace(tzinfo=UTC)
    until = deadline + timedelta(seconds=deps.reservation_ttl_seconds)
    try:
        outcome = expiry.extend(store=deps.store, order_id=order_id, until=until)
    except (ReservationNotActive, NotFound):
        # Released (expired and swept, or cancelled) before the review began: nothing to sell.
        return {"status": "reservation_lost", "cancelRequested": state.cancel_requested}
    return {"status": "extended", "expiresAt": outcome.expires_at, "cancelRequested": state.cancel_requested}


def record_review(deps: OrderDeps, order_id: str, review: dict[str, Any]) -> dict[str, Any]:
    data = {
        "decision": review.get("decision"),
        "note": review.get("note"),
        "by": review.get("by"),
        "timedOut": bool(review.get("timedOut")),
    }
    deps.stream.update(
        order_id, lambda s: [] if s.review or s.status != "awaiting_review" else [("OrderReviewed", data)]
    )
    return data


def capture(deps: OrderDeps, order_id: str) -> dict[str, Any]:
    state = _load(deps, order_id)
    if state.cancel_requested:
        return {"status": "cancelled"}
    try:
        payment = deps.payments.capture(order_id=order_id)
    except InvalidProviderRequest as exc:  # the provider refuses for good (e.g. authorization expired)
        return {"status": "failed", "code": str(exc)}
    data = {"payment": payment_view(payment)}
    deps.stream.update(order_id, lambda s: [] if s.captured else [("PaymentCaptured", data)])
    return {"status": payment.status}


def confirm(deps: OrderDeps, order_id: str) -> dict[str, Any]:
    """Consume the reservation, then show `confirmed` and request the customer's confirmation:
    one append, whose `NotificationRequested` stages the notification command in the outbox
    with it (shared.orders.commands), so no `order_notify` step follows (`notified` in the
    result). Not when a cancellation arrived meanwhile: the workflow then refunds and restocks
    after this (never by skipping the commit), and the customer hears of the cancellation only,
    as before."""
    state = _load(deps, order_id)
    if state.status in IN_FLIGHT:
        try:
            reservations.commit(store=deps.store, order_id=order_id)
        except (ReservationNotActive, NotFound):
            # The hold is gone (released by the expiry sweep): the stock may be sold already.
            return {"status": "reservation_lost", "cancelRequested": state.cancel_requested}

        def decide(s: OrderState) -> list[NewEvent]:
            if s.status not in IN_FLIGHT:
                return []
            events: list[NewEvent] = [("OrderConfirmed", {}), ("InventoryCommitted", {})]
            if not s.cancel_requested:
                events.append(("NotificationRequested", {"kind": CONFIRMATION}))
            return events

        state = deps.stream.update(order_id, decide)
    return {
        "status": state.status,
        "cancelRequested": state.cancel_requested,
        "notified": CONFIRMATION in state.notified,
    }


def notify(deps: OrderDeps, order_id: str, kind: str) -> dict[str, Any]:
    """Ask the notifications context to tell the customer: record `NotificationRequested`, whose
    append stages the command in the outbox (shared.orders.commands). The `order_notify`
    activity: workflows whose confirmation was recorded before round 4 still call it (their
    confirm result has no `notified`); the confirm step now requests it itself."""
    state = _load(deps, order_id)
    if kind in state.notified:
        deps.stream.project(state)  # a retry after a crash between the commit and projecting
        return {"sent": False}
    deps.stream.update(
        order_id, lambda s: [] if kind in s.notified else [("NotificationRequested", {"kind": kind})]
    )
    return {"sent": True}
