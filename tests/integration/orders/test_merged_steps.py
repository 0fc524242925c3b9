"""Round 4's merged workflow steps (docs/performance.md): reserve + authorize + fraud check in one
step and one append, the confirmation notification staged by the confirm step's own append. Each must stay
safe to repeat at any point (a crash, an activity retry), and a workflow whose history was recorded
before the merge must still schedule the separate steps it recorded."""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from typing import Any

import pytest

from orchestrations import order_workflow
from shared.inventory import reservations
from shared.inventory.model import ReservationLine
from shared.kernel import workflows as wf
from shared.messaging.outbox import OUTBOX_FIELD, PENDING
from shared.orders import service, steps
from shared.orders.deps import OrderDeps
from shared.orders.model import OrderState
from shared.orders.service import place_order
from shared.orders.stream import Loaded, NewEvent, OrderStream
from tests.integration.orders.harness import CUSTOMER, HIGHEST, charges, levels, order_body, seed_product


def _placed(deps: OrderDeps, sku: str, number: str | None = None, on_hand: int = 5) -> str:
    seed_product(deps, sku, on_hand=on_hand)
    body = order_body(deps, sku) if number is None else order_body(deps, sku, number)
    return place_order(deps, CUSTOMER, body, None).order_id


def _reserved_the_old_way(deps: OrderDeps, order_id: str) -> None:
    """What the reserve step recorded before round 4: the hold alone (its history's next task is
    the separate authorization)."""
    state = deps.stream.load(order_id)
    assert state is not None
    lines = [ReservationLine(sku=i.sku, quantity=i.quantity) for i in state.state.items]
    outcome = reservations.reserve(store=deps.store, order_id=order_id, lines=lines, ttl_seconds=900)
    recorded = [{"sku": x.sku, "quantity": x.quantity} for x in outcome.lines]
    deps.stream.update(order_id, lambda s: [("InventoryReserved", {"lines": recorded})])


def _types(deps: OrderDeps, order_id: str) -> list[str]:
    return [e["type"] for e in deps.stream.events(order_id)]


def _commands(deps: OrderDeps, order_id: str) -> list[dict[str, Any]]:
    """The order's pending outbox commands (nothing relays them in these tests)."""
    entries = deps.stream.streams.query_all(PENDING, partition_key=order_id)
    return [e[OUTBOX_FIELD] for e in entries if "queue" in e[OUTBOX_FIELD]]


class CrashOnAppend(OrderStream):
    """The stream of a process that dies at its next append: nothing of that append is written."""

    def __init__(self, inner: OrderStream) -> None:
        self.__dict__.update(inner.__dict__)

    def append(self, order_id: str, current: Loaded | None, events: Sequence[NewEvent]) -> Loaded:
        raise SystemExit("killed before the append")


def test_reserve_records_the_hold_the_authorization_and_the_fraud_check_in_one_append(
    deps: OrderDeps,
) -> None:
    order_id = _placed(deps, "SKU-M1")
    before = deps.stream.load(order_id)
    assert before is not None
    result = steps.reserve(deps, order_id)
    assert result["ok"] and result["cancelRequested"] is False
    auth = result["authorization"]
    assert auth["status"] == "authorized" and auth["fraud"] == {"decision": "approve"}
    assert _types(deps, order_id)[1:] == ["InventoryReserved", "PaymentAuthorized", "FraudChecked"]
    after = deps.stream.load(order_id)
    assert after is not None and after.state.version == before.state.version + 3
    assert len({e["at"] for e in deps.stream.events(order_id)[1:]}) == 1  # one append, one commit
    # The check saw the provider's risk signal, as the separate step did after the authorization.
    assert after.state.fraud is not None and after.state.risk_signal == auth["riskSignal"]
    assert levels(deps, "SKU-M1") == (5, 1)


def test_reserve_survives_a_crash_before_its_append_and_a_retry_after_it(deps: OrderDeps) -> None:
    order_id = _placed(deps, "SKU-M2", HIGHEST)  # the provider's `highest` signal: a review
    healthy = deps.stream
    deps.stream = CrashOnAppend(healthy)
    with pytest.raises(SystemExit):
        steps.reserve(deps, order_id)
    deps.stream = healthy
    assert _types(deps, order_id) == ["OrderCreated"]  # nothing recorded; the hold and auth exist

    first = steps.reserve(deps, order_id)  # the activity's retry
    again = steps.reserve(deps, order_id)  # a retry after the append (a crash before reporting)
    assert first["authorization"]["fraud"] == again["authorization"]["fraud"] == {"decision": "review"}
    types = _types(deps, order_id)
    assert types.count("InventoryReserved") == types.count("PaymentAuthorized") == 1
    assert types.count("FraudChecked") == types.count("OrderAwaitingReview") == 1
    assert charges(deps, order_id) == [("sandbox", "authorize")]  # one hold at the provider
    assert levels(deps, "SKU-M2") == (5, 1)  # one hold of the stock
    state = deps.stream.load(order_id)
    assert state is not None and state.state.status == "awaiting_review"
    # The separate steps, as an older history schedules them next, find everything done.
    assert steps.authorize(deps, order_id)["fraud"] == {"decision": "review"}
    assert steps.fraud_check(deps, order_id) == {"decision": "review"}
    assert _types(deps, order_id) == types and charges(deps, order_id) == [("sandbox", "authorize")]


def test_a_declined_authorization_runs_no_fraud_check(deps: OrderDeps) -> None:
    order_id = _placed(deps, "SKU-M3", "4000000000000002")
    result = steps.reserve(deps, order_id)
    assert result["authorization"]["status"] == "declined" and "fraud" not in result["authorization"]
    assert _types(deps, order_id)[1:] == ["InventoryReserved", "PaymentFailed"]


def test_out_of_stock_authorizes_nothing(deps: OrderDeps) -> None:
    order_id = _placed(deps, "SKU-M7", on_hand=0)
    result = steps.reserve(deps, order_id)
    assert result["ok"] is False and "authorization" not in result
    assert _types(deps, order_id) == ["OrderCreated"] and charges(deps, order_id) == []


def test_a_cancellation_before_reserve_authorizes_nothing(deps: OrderDeps) -> None:
    order_id = _placed(deps, "SKU-M8")
    assert service.request_cancel(deps, order_id, CUSTOMER) == "signal"
    result = steps.reserve(deps, order_id)
    assert result["ok"] and result["cancelRequested"] is True and "authorization" not in result
    assert _types(deps, order_id)[-1] == "InventoryReserved" and charges(deps, order_id) == []


def test_the_older_separate_authorize_step_checks_fraud_in_its_append(deps: OrderDeps) -> None:
    order_id = _placed(deps, "SKU-M9")
    _reserved_the_old_way(deps, order_id)
    result = steps.authorize(deps, order_id)
    assert result["status"] == "authorized" and result["fraud"] == {"decision": "approve"}
    assert _types(deps, order_id)[1:] == ["InventoryReserved", "PaymentAuthorized", "FraudChecked"]


def _captured(deps: OrderDeps, sku: str) -> str:
    order_id = _placed(deps, sku)
    assert steps.reserve(deps, order_id)["authorization"]["fraud"] == {"decision": "approve"}
    assert steps.capture(deps, order_id)["status"] == "captured"
    return order_id


def test_confirm_stages_the_confirmation_command_with_its_own_append_once(deps: OrderDeps) -> None:
    order_id = _captured(deps, "SKU-M4")
    result = steps.confirm(deps, order_id)
    assert result == {"status": "confirmed", "cancelRequested": False, "notified": True}
    assert _types(deps, order_id)[-3:] == ["OrderConfirmed", "InventoryCommitted", "NotificationRequested"]
    [command] = _commands(deps, order_id)
    assert command["queue"] == steps.NOTIFICATION_QUEUE
    body = json.loads(command["message"]["body"])
    assert command["message"]["messageId"] == body["commandId"] == f"{order_id}:notify:order_confirmed"
    assert body["data"]["order"]["status"] == "confirmed" and body["data"]["customerId"] == CUSTOMER.user_id

    # Repeated (an activity retry after the commit), and the old separate step: nothing more.
    assert steps.confirm(deps, order_id)["notified"] is True
    assert steps.notify(deps, order_id, "order_confirmed") == {"sent": False}
    assert _types(deps, order_id).count("NotificationRequested") == 1
    assert len(_commands(deps, order_id)) == 1


def test_a_cancellation_before_confirm_sends_no_confirmation(deps: OrderDeps) -> None:
    order_id = _captured(deps, "SKU-M5")
    assert service.request_cancel(deps, order_id, CUSTOMER) == "signal"
    result = steps.confirm(deps, order_id)
    # The workflow undoes it next (refund, restock); the customer hears of the cancellation only.
    assert result == {"status": "confirmed", "cancelRequested": True, "notified": False}
    assert "NotificationRequested" not in _types(deps, order_id) and _commands(deps, order_id) == []


def test_the_older_separate_notify_step_stages_the_command_through_the_outbox(deps: OrderDeps) -> None:
    order_id = _captured(deps, "SKU-M6")
    healthy = deps.stream

    class OldConfirm(OrderStream):  # a confirm recorded by the code before round 4
        def __init__(self) -> None:
            self.__dict__.update(healthy.__dict__)

        def update(self, oid: str, decide: Any) -> OrderState:
            return healthy.update(oid, lambda s: [e for e in decide(s) if e[0] != "NotificationRequested"])

    deps.stream = OldConfirm()
    steps.confirm(deps, order_id)
    deps.stream = healthy
    assert _commands(deps, order_id) == []
    assert steps.notify(deps, order_id, "order_confirmed") == {"sent": True}
    assert steps.notify(deps, order_id, "order_confirmed") == {"sent": False}
    assert len(_commands(deps, order_id)) == 1
    assert _types(deps, order_id).count("NotificationRequested") == 1


def _drive(results: dict[str, dict[str, Any]]) -> list[str]:
    """The activities the workflow's happy path schedules, fed `results` by activity name."""
    scheduled: list[str] = []

    def step(name: str, extra: dict[str, Any] | None = None) -> str:
        scheduled.append(name)
        return name

    gen: Generator[Any, Any, tuple[str, str]] = order_workflow._run(None, step, {})  # type: ignore[arg-type]
    try:
        name = next(gen)
        while True:
            name = gen.send(results[name])
    except StopIteration as done:
        assert done.value == ("done", "confirmed")
    return scheduled


AUTHORIZED: dict[str, Any] = {"status": "authorized", "code": None, "riskSignal": "normal"}
RESERVED: dict[str, Any] = {"ok": True, "failedSkus": [], "cancelRequested": False}
OK: dict[str, dict[str, Any]] = {
    wf.ORDER_FRAUD_CHECK: {"decision": "approve"},
    wf.ORDER_CAPTURE_PAYMENT: {"status": "captured"},
    wf.ORDER_NOTIFY: {"sent": True},
}


def test_the_workflow_runs_three_activities() -> None:
    results = {
        **OK,
        wf.ORDER_RESERVE_INVENTORY: {
            **RESERVED,
            "authorization": {**AUTHORIZED, "fraud": {"decision": "approve"}},
        },
        wf.ORDER_CONFIRM: {"status": "confirmed", "cancelRequested": False, "notified": True},
    }
    assert _drive(results) == [wf.ORDER_RESERVE_INVENTORY, wf.ORDER_CAPTURE_PAYMENT, wf.ORDER_CONFIRM]


def test_a_history_recorded_before_the_merge_replays_into_the_separate_steps() -> None:
    # The results the steps returned before round 4: no `authorization`, `fraud`, `notified`.
    results = {
        **OK,
        wf.ORDER_RESERVE_INVENTORY: RESERVED,
        wf.ORDER_AUTHORIZE_PAYMENT: AUTHORIZED,
        wf.ORDER_CONFIRM: {"status": "confirmed", "cancelRequested": False},
    }
    assert _drive(results) == [
        wf.ORDER_RESERVE_INVENTORY,
        wf.ORDER_AUTHORIZE_PAYMENT,
        wf.ORDER_FRAUD_CHECK,
        wf.ORDER_CAPTURE_PAYMENT,
        wf.ORDER_CONFIRM,
        wf.ORDER_NOTIFY,
    ]
