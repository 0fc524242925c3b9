"""Round 4's merged workflow steps (docs/performance.md): authorize + fraud check in one step and
one append, the confirmation notification staged by the confirm step's own append. Each must stay
safe to repeat at any point (a crash, an activity retry), and a workflow whose history was recorded
before the merge must still schedule the separate steps it recorded."""

from __future__ import annotations

import json
from collections.abc import Generator, Sequence
from typing import Any

import pytest

from orchestrations import order_workflow
from shared.kernel import workflows as wf
from shared.messaging.outbox import OUTBOX_FIELD, PENDING
from shared.orders import service, steps
from shared.orders.deps import OrderDeps
from shared.orders.model import OrderState
from shared.orders.service import place_order
from shared.orders.stream import Loaded, NewEvent, OrderStream
from tests.integration.orders.harness import CUSTOMER, HIGHEST, charges, order_body, seed_product


def _placed(deps: OrderDeps, sku: str, number: str | None = None) -> str:
    seed_product(deps, sku, on_hand=5)
    body = order_body(deps, sku) if number is None else order_body(deps, sku, number)
    order_id = place_order(deps, CUSTOMER, body, None).order_id
    assert steps.reserve(deps, order_id)["ok"]
    return order_id


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


def test_authorize_records_the_authorization_and_the_fraud_check_in_one_append(deps: OrderDeps) -> None:
    order_id = _placed(deps, "SKU-M1")
    before = deps.stream.load(order_id)
    assert before is not None
    result = steps.authorize(deps, order_id)
    assert result["status"] == "authorized" and result["fraud"] == {"decision": "approve"}
    assert _types(deps, order_id)[-2:] == ["PaymentAuthorized", "FraudChecked"]
    after = deps.stream.load(order_id)
    assert after is not None and after.state.version == before.state.version + 2
    entries = deps.stream.events(order_id)[-2:]
    assert entries[0]["at"] == entries[1]["at"]  # one append, one commit
    # The check saw the provider's risk signal, as the separate step did after the authorization.
    assert after.state.fraud is not None and after.state.risk_signal == result["riskSignal"]


def test_authorize_and_check_survive_a_crash_before_their_append_and_a_retry_after_it(
    deps: OrderDeps,
) -> None:
    order_id = _placed(deps, "SKU-M2", HIGHEST)  # the provider's `highest` signal: a review
    healthy = deps.stream
    deps.stream = CrashOnAppend(healthy)
    with pytest.raises(SystemExit):
        steps.authorize(deps, order_id)
    deps.stream = healthy
    assert "PaymentAuthorized" not in _types(deps, order_id)  # nothing recorded, the hold exists

    first = steps.authorize(deps, order_id)  # the activity's retry
    again = steps.authorize(deps, order_id)  # a retry after the append (a crash before reporting)
    assert first["fraud"] == again["fraud"] == {"decision": "review"}
    types = _types(deps, order_id)
    assert types.count("PaymentAuthorized") == types.count("FraudChecked") == 1
    assert types.count("OrderAwaitingReview") == 1
    assert charges(deps, order_id) == [("sandbox", "authorize")]  # one hold at the provider
    state = deps.stream.load(order_id)
    assert state is not None and state.state.status == "awaiting_review"
    # The separate check, as an older history schedules it next, finds it done.
    assert steps.fraud_check(deps, order_id) == {"decision": "review"}
    assert _types(deps, order_id) == types


def test_a_declined_authorization_runs_no_fraud_check(deps: OrderDeps) -> None:
    order_id = _placed(deps, "SKU-M3", "4000000000000002")
    result = steps.authorize(deps, order_id)
    assert result["status"] == "declined" and "fraud" not in result
    assert _types(deps, order_id)[-1] == "PaymentFailed" and "FraudChecked" not in _types(deps, order_id)


def _captured(deps: OrderDeps, sku: str) -> str:
    order_id = _placed(deps, sku)
    assert steps.authorize(deps, order_id)["fraud"] == {"decision": "approve"}
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
OK: dict[str, dict[str, Any]] = {
    wf.ORDER_RESERVE_INVENTORY: {"ok": True, "failedSkus": [], "cancelRequested": False},
    wf.ORDER_FRAUD_CHECK: {"decision": "approve"},
    wf.ORDER_CAPTURE_PAYMENT: {"status": "captured"},
    wf.ORDER_NOTIFY: {"sent": True},
}


def test_the_workflow_runs_four_activities() -> None:
    results = {
        **OK,
        wf.ORDER_AUTHORIZE_PAYMENT: {**AUTHORIZED, "fraud": {"decision": "approve"}},
        wf.ORDER_CONFIRM: {"status": "confirmed", "cancelRequested": False, "notified": True},
    }
    assert _drive(results) == [
        wf.ORDER_RESERVE_INVENTORY,
        wf.ORDER_AUTHORIZE_PAYMENT,
        wf.ORDER_CAPTURE_PAYMENT,
        wf.ORDER_CONFIRM,
    ]


def test_a_history_recorded_before_the_merge_replays_into_the_separate_steps() -> None:
    # The results the steps returned before round 4: no `fraud`, no `notified`.
    results = {
        **OK,
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
