"""Order commands and queries: idempotency, cancel, refunds, ship, access, projections."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.http.auth import Principal
from shared.kernel.errors import Conflict, NotFound, ValidationFailed
from shared.kernel.money import Money
from shared.orders import compensation, service
from shared.orders.deps import OrderDeps
from shared.orders.model import InvalidOrderState, OrderState
from shared.orders.schemas import PlaceOrder, RefundRequest
from shared.orders.stream import StreamConflict, rebuild_projections
from tests.integration.orders.harness import (
    APPROVED,
    CUSTOMER,
    HIGHEST,
    Workflow,
    charges,
    levels,
    order_body,
    seed_product,
    token_for,
)

Run = Callable[..., Any]
SUPPORT = Principal(sub="agent", roles=("support",))
ADMIN = Principal(sub="boss", roles=("admin",))
STRANGER = Principal(sub="cust-2", roles=("customer",))


def confirmed_order(deps: OrderDeps, run: Run, sku: str = "SKU-C", price: str = "10.00", qty: int = 3) -> str:
    seed_product(deps, sku, price=price, on_hand=10)
    body = order_body(deps, sku, quantity=qty)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.finish(order_id)
        return order_id

    order_id: str = run(scenario)
    assert service.get_order(deps, order_id, CUSTOMER).status == "confirmed"
    return order_id


def test_same_idempotency_key_gives_one_order(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-I", on_hand=5)
    body = order_body(deps, "SKU-I")

    async def scenario(wf: Workflow) -> list[str]:
        ids = [wf.place(body, key="k-1"), wf.place(body, key="k-1")]
        await wf.finish(ids[0])
        ids.append(wf.place(body, key="k-1"))  # after it finished: still the same order, no restart
        return ids

    first, second, third = run(scenario)
    assert first == second == third
    # The repeat answers what the first request answered, though the order is confirmed by now.
    assert service.get_order(deps, first, CUSTOMER).status == "confirmed"
    assert service.place_order(deps, CUSTOMER, body, "k-1") == service.Placed(first, "pending", False)
    assert charges(deps, first) == [("sandbox", "authorize"), ("sandbox", "capture")]
    assert levels(deps, "SKU-I") == (4, 0)
    changed = PlaceOrder.model_validate(
        {**body.model_dump(by_alias=True), "items": [{"sku": "SKU-I", "quantity": 2}]}
    )
    with pytest.raises(ValidationFailed) as info:
        service.place_order(deps, CUSTOMER, changed, "k-1")
    assert info.value.status == 422 and info.value.code == "idempotency_key_reused"
    # Another customer's identical key is another order.
    theirs = PlaceOrder.model_validate(
        {**body.model_dump(by_alias=True), "paymentToken": token_for(deps, APPROVED, owner=STRANGER.sub)}
    )
    assert service.place_order(deps, STRANGER, theirs, "k-1").order_id != first


def test_unknown_sku_and_foreign_token_are_422(deps: OrderDeps) -> None:
    seed_product(deps, "SKU-U")
    body = order_body(deps, "SKU-U")
    bad_sku = PlaceOrder.model_validate(
        {**body.model_dump(by_alias=True), "items": [{"sku": "NOPE", "quantity": 1}]}
    )
    with pytest.raises(ValidationFailed) as info:
        service.place_order(deps, CUSTOMER, bad_sku, None)
    assert info.value.errors[0]["field"] == "items[0].sku"
    with pytest.raises(ValidationFailed) as info:
        service.place_order(deps, STRANGER, body, None)  # the token belongs to CUSTOMER
    assert info.value.errors[0]["field"] == "paymentToken"


def test_price_comes_from_the_catalog(deps: OrderDeps) -> None:
    seed_product(deps, "SKU-P", price="7.25")
    placed = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-P", quantity=4), None)
    order = service.get_order(deps, placed.order_id, CUSTOMER)
    assert order.items[0].unit_price == Money.of("7.25", "USD") and order.total == Money.of("29.00", "USD")


def test_others_get_404_and_staff_see_everything(deps: OrderDeps) -> None:
    seed_product(deps, "SKU-V")
    order_id = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-V"), None).order_id
    with pytest.raises(NotFound):
        service.get_order(deps, order_id, STRANGER)
    with pytest.raises(NotFound):
        service.order_events(deps, order_id, STRANGER)
    assert service.get_order(deps, order_id, SUPPORT).id == order_id
    assert [
        o["id"] for o in service.list_orders(deps, CUSTOMER, status=None, limit=20, token=None).items
    ] == [order_id]
    assert service.list_orders(deps, STRANGER, status=None, limit=20, token=None).items == []
    assert len(service.list_orders(deps, ADMIN, status="pending", limit=20, token=None).items) == 1
    assert service.list_orders(deps, ADMIN, status="confirmed", limit=20, token=None).items == []
    events = service.order_events(deps, order_id, CUSTOMER)
    assert [e["sequence"] for e in events] == [1] and "paymentToken" not in events[0]["data"]


@pytest.mark.parametrize("who", [CUSTOMER, SUPPORT])
def test_a_continuation_token_the_list_never_issued_is_422(deps: OrderDeps, who: Principal) -> None:
    for token in ("not-a-token", "eyJ4IjoxfQ"):  # garbage, and well-formed JSON of another query
        with pytest.raises(ValidationFailed) as info:
            service.list_orders(deps, who, status=None, limit=20, token=token)
        assert info.value.status == 422


def test_partial_then_full_refund_never_beyond_captured(deps: OrderDeps, run: Run) -> None:
    order_id = confirmed_order(deps, run)
    part = service.refund_order(
        deps, order_id, SUPPORT, RefundRequest(amount=Money.of("5.00", "USD"), reason="r"), "rk-1"
    )
    again = service.refund_order(
        deps, order_id, SUPPORT, RefundRequest(amount=Money.of("5.00", "USD"), reason="r"), "rk-1"
    )
    assert part == again
    with pytest.raises(ValidationFailed):
        service.refund_order(
            deps, order_id, SUPPORT, RefundRequest(amount=Money.of("6.00", "USD"), reason="r"), "rk-1"
        )
    order = service.get_order(deps, order_id, CUSTOMER)
    assert order.status == "confirmed" and order.refunded_amount == Money.of("5.00", "USD")
    with pytest.raises(Conflict) as info:
        service.refund_order(
            deps, order_id, SUPPORT, RefundRequest(amount=Money.of("25.01", "USD"), reason="x"), None
        )
    assert info.value.status == 409
    rest = service.refund_order(deps, order_id, SUPPORT, RefundRequest(reason="the rest"), None)
    assert rest.amount == Money.of("25.00", "USD")
    assert service.get_order(deps, order_id, CUSTOMER).status == "refunded"
    assert charges(deps, order_id).count(("sandbox", "refund")) == 2
    with pytest.raises(Conflict):
        service.refund_order(deps, order_id, SUPPORT, RefundRequest(reason="more"), None)


def test_ship_only_from_confirmed_and_cancel_rules(deps: OrderDeps, run: Run) -> None:
    order_id = confirmed_order(deps, run)
    assert service.ship_order(deps, order_id).status == "shipped"
    with pytest.raises(InvalidOrderState):
        service.ship_order(deps, order_id)
    with pytest.raises(InvalidOrderState):
        service.request_cancel(deps, order_id, CUSTOMER)  # the owner may not cancel a shipped order
    assert service.request_cancel(deps, order_id, SUPPORT) == "done"
    assert service.get_order(deps, order_id, CUSTOMER).status == "cancelled"
    with pytest.raises(InvalidOrderState) as info:
        service.request_cancel(deps, order_id, SUPPORT)
    assert info.value.status == 409


def test_cancel_confirmed_refunds_and_restocks(deps: OrderDeps, run: Run) -> None:
    order_id = confirmed_order(deps, run, sku="SKU-X", qty=3)
    assert levels(deps, "SKU-X") == (7, 0)
    assert service.request_cancel(deps, order_id, CUSTOMER) == "done"
    order = service.get_order(deps, order_id, CUSTOMER)
    assert order.status == "cancelled" and order.refunded_amount == order.total
    assert levels(deps, "SKU-X") == (10, 0)
    assert charges(deps, order_id)[-1] == ("sandbox", "refund")


def test_cancel_while_awaiting_review_voids_and_releases(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-W", on_hand=2)
    body = order_body(deps, "SKU-W", HIGHEST)

    async def scenario(wf: Workflow) -> str:
        order_id = wf.place(body)
        await wf.until(order_id, "awaiting_review")
        assert service.request_cancel(deps, order_id, CUSTOMER) == "signal"
        with pytest.raises(InvalidOrderState):
            service.check_reviewable(deps, order_id)  # a cancelled review is no longer reviewable
        wf.decide(order_id, "cancel")
        await wf.finish(order_id)
        return order_id

    order_id = run(scenario)
    assert service.get_order(deps, order_id, CUSTOMER).status == "cancelled"
    assert charges(deps, order_id) == [("sandbox", "authorize"), ("sandbox", "void")]
    assert levels(deps, "SKU-W") == (2, 0)


def test_cancel_requested_while_pending_is_honoured_by_the_workflow(deps: OrderDeps, run: Run) -> None:
    seed_product(deps, "SKU-Q", on_hand=2)
    order_id = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-Q"), None).order_id
    assert service.request_cancel(deps, order_id, CUSTOMER) == "signal"

    async def scenario(wf: Workflow) -> None:
        wf.engine.start_new("order_workflow", order_id, "{}")
        await wf.finish(order_id)

    run(scenario)
    assert service.get_order(deps, order_id, CUSTOMER).status == "cancelled"
    assert charges(deps, order_id) == [] and levels(deps, "SKU-Q") == (2, 0)


def test_stream_rejects_a_stale_append_and_projections_rebuild(deps: OrderDeps, run: Run) -> None:
    order_id = confirmed_order(deps, run, sku="SKU-E")
    stale = deps.stream.load(order_id)
    assert stale is not None
    deps.stream.append(order_id, stale, [("OrderShipped", {})])
    with pytest.raises(StreamConflict):
        deps.stream.append(order_id, stale, [("OrderShipped", {})])
    before = deps.stream.orders.read(order_id, order_id)
    deps.stream.orders.delete(order_id, order_id)
    deps.stream.lists.delete(order_id, CUSTOMER.sub)
    assert rebuild_projections(deps.store) == 1
    after = deps.stream.orders.read(order_id, order_id)
    assert {k: v for k, v in after.items() if not k.startswith("_")} == {
        k: v for k, v in before.items() if not k.startswith("_")
    }
    assert deps.stream.lists.read(order_id, CUSTOMER.sub)["status"] == "shipped"


def test_a_step_retried_after_dying_between_commit_and_projection_repairs_the_read_models(
    deps: OrderDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_product(deps, "SKU-P", on_hand=2)
    order_id = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-P"), None).order_id

    project = deps.stream.project

    def die_on_the_final_status(state: OrderState) -> None:
        if state.status == "cancelled":
            raise SystemExit("killed after the commit")
        project(state)

    with monkeypatch.context() as m:
        m.setattr(deps.stream, "project", die_on_the_final_status)
        with pytest.raises(SystemExit):
            compensation.compensate(deps, order_id, "cancelled", "x")
    assert deps.stream.load(order_id).state.status == "cancelled"  # type: ignore[union-attr]
    assert deps.stream.orders.read(order_id, order_id)["status"] == "pending"  # stale read models
    assert compensation.compensate(deps, order_id, "cancelled", "x") == "cancelled"  # the retry
    assert deps.stream.orders.read(order_id, order_id)["status"] == "cancelled"
    assert deps.stream.lists.read(order_id, CUSTOMER.sub)["status"] == "cancelled"
    listed = service.list_orders(deps, CUSTOMER, status="cancelled", limit=20, token=None).items
    assert [o["id"] for o in listed] == [order_id]


def test_an_update_with_nothing_to_record_still_brings_the_read_models_up(
    deps: OrderDeps, monkeypatch: pytest.MonkeyPatch
) -> None:
    seed_product(deps, "SKU-U", on_hand=2)
    order_id = service.place_order(deps, CUSTOMER, order_body(deps, "SKU-U"), None).order_id
    with monkeypatch.context() as m:
        m.setattr(deps.stream, "project", lambda _: None)  # died before projecting
        deps.stream.update(order_id, lambda s: [("InventoryReserved", {"lines": []})])
    assert deps.stream.orders.read(order_id, order_id)["version"] == 1
    # The retried step finds the event recorded (nothing to append) and repairs the projection.
    deps.stream.update(order_id, lambda s: [] if s.reservation else [("InventoryReserved", {"lines": []})])
    assert deps.stream.orders.read(order_id, order_id)["version"] == 2
    assert deps.stream.lists.read(order_id, CUSTOMER.sub)["version"] == 2
