"""Crash-safety gaps of the order workflow through devhost (issue 6, docs/orders.md):

- an order recorded without its workflow (its POST died after `OrderCreated`; no retry comes) is
  started by the recovery sweep (a timer trigger with a durable client) and reaches `confirmed`;
- `/review` for an order whose workflow is gone is 409 `not_awaiting_review`, not a 202 nobody acts on.

The orphan is made without killing anything: the test writes `OrderCreated` into devhost's document
store itself, exactly what `POST /orders` records before it starts the workflow.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.orders.pricing import Line, price_lines
from shared.orders.stream import OrderStream
from tests.e2e.catalog_support import problem_code
from tests.e2e.conftest import DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, durable_key, unique, with_code
from tests.e2e.orders_support import ADDRESS, HIGHEST, OrderShop, order_shop

pytestmark = pytest.mark.e2e
# The sweep every second, for orders pending longer than 2 s (Azure: every minute, 60 s).
ENV = {"ORDER_RECOVERY_SCHEDULE": "*/1 * * * * *", "ORDER_RECOVERY_GRACE_SECONDS": "2"}


@pytest.fixture(scope="module")
def devhost(start_devhost_module: StartDevhost) -> Iterator[DevhostProcess]:
    yield start_devhost_module(env=ENV)


@pytest.fixture(scope="module")
def o(devhost: DevhostProcess) -> OrderShop:
    return order_shop(ApiClient(devhost.url))


def record_without_workflow(devhost: DevhostProcess, customer: str, sku: str, token: str) -> str:
    """What `POST /orders` records before `start_new`, and nothing after it."""
    store = SqliteDocumentStore(devhost.data_dir / "documents.db")
    priced = price_lines(store, [Line(sku, 1)])
    order_id = unique("ord-orphan")
    zero = priced.total - priced.total
    created = {
        "id": order_id,
        "customerId": customer,
        "items": [i.model_dump(mode="json", by_alias=True) for i in priced.items],
        "subtotal": priced.subtotal.model_dump(mode="json"),
        "total": priced.total.model_dump(mode="json"),
        "refundedAmount": zero.model_dump(mode="json"),
        "currency": priced.currency,
        "shippingAddress": ADDRESS,
        "paymentToken": token,
        "requestHash": "",
    }
    OrderStream(store).append(order_id, None, [("OrderCreated", created)])
    return order_id


def test_the_recovery_sweep_starts_an_order_whose_workflow_never_started(
    o: OrderShop, devhost: DevhostProcess
) -> None:
    sku, sub = o.product(stock=3), unique("cust")
    customer = o.api.dev_token(sub, roles=["customer"])
    order_id = record_without_workflow(devhost, sub, sku, o.card(customer))
    assert o.order(order_id, customer)["status"] == "pending"
    order = o.final(order_id, customer, timeout=30)
    assert order["status"] == "confirmed", order
    assert o.charges(order_id) == [("sandbox", "authorize"), ("sandbox", "capture")]
    assert o.levels(sku) == (2, 0)
    assert "recovery sweep started" in devhost.log()


def test_review_of_an_order_whose_workflow_was_terminated_is_409(
    o: OrderShop, devhost: DevhostProcess
) -> None:
    sku, customer = o.product(stock=2), o.customer()
    r = o.place(customer, o.order_body(sku, o.card(customer, HIGHEST)))
    assert r.status == 202, r
    order_id = str(r.json()["orderId"])
    o.wait_status(order_id, customer, {"awaiting_review"})
    hooks = f"/runtime/webhooks/durabletask/instances/{order_id}"
    terminate = with_code(f"{hooks}/terminate?reason=e2e", durable_key(devhost.data_dir))
    assert o.api.post(terminate).status == 202
    r = o.api.post(f"/api/orders/{order_id}/review", {"decision": "approve"}, token=o.support)
    assert r.status == 409 and problem_code(r) == "not_awaiting_review", r
    assert o.order(order_id, customer)["status"] == "awaiting_review"
    assert o.charges(order_id) == [("sandbox", "authorize")]
