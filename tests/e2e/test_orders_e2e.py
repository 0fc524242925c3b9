"""The order workflow through devhost over HTTP (API.md's Orders and Payments sections)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.catalog_support import error_fields, problem_code
from tests.e2e.conftest import DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, unique, wait_for
from tests.e2e.orders_support import (
    BLOCKED,
    DECLINED,
    FINAL,
    HIGHEST,
    PROCESSING_ERROR,
    TEST_CARDS,
    OrderShop,
    order_shop,
)

pytestmark = pytest.mark.e2e
REVIEW_TIMEOUT = 6


@pytest.fixture(scope="module")
def devhost(start_devhost_module: StartDevhost) -> Iterator[DevhostProcess]:
    yield start_devhost_module(env={"ORDER_REVIEW_TIMEOUT_SECONDS": str(REVIEW_TIMEOUT)})


@pytest.fixture(scope="module")
def o(devhost: DevhostProcess) -> OrderShop:
    return order_shop(ApiClient(devhost.url))


def test_approved_order_confirms_with_captured_payment_and_stock_down(o: OrderShop) -> None:
    sku, customer = o.product(stock=5, price="12.50"), o.customer()
    r = o.place(customer, o.order_body(sku, o.card(customer), quantity=2))
    assert r.status == 202, r
    order_id = r.json()["orderId"]
    assert r.json()["status"] == "pending" and r.header("Location") == f"/api/orders/{order_id}"
    order = o.final(order_id, customer)
    assert order["status"] == "confirmed", order
    assert (
        order["total"] == {"amount": "25.00", "currency": "USD"}
        and order["items"][0]["unitPrice"]["amount"] == "12.50"
    )
    assert order["fraud"]["decision"] == "approve" and order["payment"]["last4"] == "4242"
    payment = o.api.get(f"/api/payments/{order['payment']['paymentId']}", token=customer)
    assert payment.status == 200 and payment.json()["status"] == "captured", payment
    assert o.levels(sku) == (3, 0)
    assert o.charges(order_id) == [("sandbox", "authorize"), ("sandbox", "capture")]
    events = o.api.get(f"/api/orders/{order_id}/events", token=customer).json()["items"]
    assert events[0]["type"] == "OrderCreated" and "OrderConfirmed" in [e["type"] for e in events]
    assert [e["sequence"] for e in events] == list(range(1, len(events) + 1))
    listed = o.api.get("/api/orders?status=confirmed", token=customer).json()["items"]
    assert [x["id"] for x in listed] == [order_id]
    # The confirmation command reached the notifications context.
    sent = wait_for(
        lambda: o.api.get("/api/me/notifications", token=customer).json()["items"],
        timeout=20,
        message="the order confirmation notification",
    )
    assert any(n["template"] == "order-confirmation" for n in sent), sent


@pytest.mark.parametrize("number", [DECLINED, "4000000000009995"])
def test_declined_card_is_payment_failed_with_reservation_released(o: OrderShop, number: str) -> None:
    sku, customer = o.product(stock=2), o.customer()
    order_id = o.place(customer, o.order_body(sku, o.card(customer, number))).json()["orderId"]
    order = o.final(order_id, customer)
    assert order["status"] == "payment_failed" and order["payment"]["status"] == "declined"
    # A final status is shown only once the stock is back.
    assert o.levels(sku) == (2, 0)
    assert o.charges(order_id) == [("sandbox", "authorize")]


def test_insufficient_stock_is_out_of_stock_with_nothing_charged(o: OrderShop) -> None:
    sku, customer = o.product(stock=1), o.customer()
    order_id = o.place(customer, o.order_body(sku, o.card(customer), quantity=3)).json()["orderId"]
    assert o.final(order_id, customer)["status"] == "out_of_stock"
    assert o.charges(order_id) == [] and o.levels(sku) == (1, 0)


def test_review_approve_and_reject(o: OrderShop) -> None:
    sku, customer = o.product(stock=3), o.customer()
    token = o.card(customer, HIGHEST)
    first = o.place(customer, o.order_body(sku, token)).json()["orderId"]
    second = o.place(customer, o.order_body(sku, token)).json()["orderId"]
    for order_id in (first, second):
        assert o.wait_status(order_id, customer, {"awaiting_review"})["fraud"]["decision"] == "review"
    reviews = o.api.get("/api/orders?status=awaiting_review", token=o.support).json()["items"]
    assert {first, second} <= {x["id"] for x in reviews}
    assert o.api.post(f"/api/orders/{first}/review", {"decision": "approve"}, token=customer).status == 403
    assert o.api.post(f"/api/orders/{first}/review", {"decision": "approve"}, token=o.support).status == 202
    assert (
        o.api.post(f"/api/orders/{second}/review", {"decision": "reject", "note": "x"}, token=o.admin).status
        == 202
    )
    assert o.final(first, customer)["status"] == "confirmed"
    assert o.final(second, customer)["status"] == "rejected"
    assert o.charges(second) == [("sandbox", "authorize"), ("sandbox", "void")]
    assert o.levels(sku) == (2, 0)
    r = o.api.post(f"/api/orders/{second}/review", {"decision": "approve"}, token=o.support)
    assert r.status == 409, r


def test_review_timeout_rejects(o: OrderShop) -> None:
    sku, customer = o.product(stock=1), o.customer()
    order_id = o.place(customer, o.order_body(sku, o.card(customer, HIGHEST))).json()["orderId"]
    assert o.wait_status(order_id, customer, {"awaiting_review"})["status"] == "awaiting_review"
    assert o.final(order_id, customer, timeout=REVIEW_TIMEOUT + 30)["status"] == "rejected"
    assert o.levels(sku) == (1, 0) and o.charges(order_id)[-1] == ("sandbox", "void")


def test_blocked_signal_rejects(o: OrderShop) -> None:
    sku, customer = o.product(stock=1), o.customer()
    order_id = o.place(customer, o.order_body(sku, o.card(customer, BLOCKED))).json()["orderId"]
    order = o.final(order_id, customer)
    assert order["status"] == "rejected" and order["fraud"]["decision"] == "reject"
    assert o.levels(sku) == (1, 0)


def test_processing_error_card_succeeds_through_the_fallback(o: OrderShop) -> None:
    sku, customer = o.product(stock=1), o.customer()
    order_id = o.place(customer, o.order_body(sku, o.card(customer, PROCESSING_ERROR))).json()["orderId"]
    order = o.final(order_id, customer)
    assert order["status"] == "confirmed"
    assert o.api.get(f"/api/payments/{order['payment']['paymentId']}", token=customer).json()["provider"] == (
        "sandbox-fallback"
    )
    assert o.charges(order_id) == [("sandbox-fallback", "authorize"), ("sandbox-fallback", "capture")]


def test_cancel_and_refunds(o: OrderShop) -> None:
    sku, customer = o.product(stock=4, price="10.00"), o.customer()
    token = o.card(customer)
    refunded = o.place(customer, o.order_body(sku, token, quantity=2)).json()["orderId"]
    cancelled = o.place(customer, o.order_body(sku, token)).json()["orderId"]
    assert o.final(refunded, customer)["status"] == "confirmed"
    assert o.final(cancelled, customer)["status"] == "confirmed"
    assert o.levels(sku) == (1, 0)

    assert o.api.post(f"/api/orders/{cancelled}/cancel", token=customer).status == 202
    order = o.final(cancelled, customer)
    assert order["status"] == "cancelled" and order["refundedAmount"]["amount"] == "10.00"
    assert o.levels(sku) == (2, 0)
    assert o.api.post(f"/api/orders/{cancelled}/cancel", token=customer).status == 409

    path = f"/api/orders/{refunded}/refunds"
    assert o.api.post(path, {"reason": "x"}, token=customer).status == 403
    r = o.api.post(path, {"amount": {"amount": "5.00", "currency": "USD"}, "reason": "dent"}, token=o.support)
    assert r.status == 201 and r.json()["amount"]["amount"] == "5.00", r
    order = o.order(refunded, customer)
    assert order["status"] == "confirmed" and order["refundedAmount"]["amount"] == "5.00"
    r = o.api.post(
        path, {"amount": {"amount": "15.01", "currency": "USD"}, "reason": "too much"}, token=o.support
    )
    assert r.status == 409, r
    r = o.api.post(path, {"amount": {"amount": "0.00", "currency": "USD"}, "reason": "zero"}, token=o.support)
    assert error_fields(r) == ["amount"]
    r = o.api.post(path, {"reason": "the rest"}, token=o.admin)
    assert r.status == 201 and r.json()["amount"]["amount"] == "15.00", r
    assert o.order(refunded, customer)["status"] == "refunded"
    payment = o.api.get(f"/api/payments/{order['payment']['paymentId']}", token=o.support).json()
    assert payment["status"] == "refunded" and payment["refundedAmount"]["amount"] == "20.00"


def test_ship_only_from_confirmed(o: OrderShop) -> None:
    sku, customer = o.product(stock=1), o.customer()
    order_id = o.place(customer, o.order_body(sku, o.card(customer))).json()["orderId"]
    assert o.final(order_id, customer)["status"] == "confirmed"
    assert o.api.post(f"/api/orders/{order_id}/ship", token=o.support).status == 403
    assert o.api.post(f"/api/orders/{order_id}/ship", token=o.admin).status == 202
    assert o.order(order_id, customer)["status"] == "shipped"
    assert o.api.post(f"/api/orders/{order_id}/ship", token=o.admin).status == 409
    assert o.api.post(f"/api/orders/{order_id}/cancel", token=customer).status == 409


def test_another_customer_gets_404(o: OrderShop) -> None:
    sku, customer, other = o.product(stock=1), o.customer(), o.customer()
    order_id = o.place(customer, o.order_body(sku, o.card(customer))).json()["orderId"]
    order = o.final(order_id, customer)
    for path in (
        f"/api/orders/{order_id}",
        f"/api/orders/{order_id}/events",
        f"/api/payments/{order['payment']['paymentId']}",
    ):
        r = o.api.get(path, token=other)
        assert r.status == 404 and problem_code(r) == "not_found", r
    assert o.api.post(f"/api/orders/{order_id}/cancel", token=other).status == 404
    assert o.api.get("/api/orders", token=other).json()["items"] == []


def test_same_idempotency_key_twice_gives_one_order_and_one_charge(o: OrderShop) -> None:
    sku, customer = o.product(stock=3), o.customer()
    body, key = o.order_body(sku, o.card(customer)), unique("key")
    first, second = o.place(customer, body, key), o.place(customer, body, key)
    assert first.status == second.status == 202
    order_id = first.json()["orderId"]
    assert second.json()["orderId"] == order_id
    assert o.final(order_id, customer)["status"] == "confirmed"
    # A repeat answers the first result, though the order is confirmed by now.
    assert o.place(customer, body, key).json() == {"orderId": order_id, "status": "pending"}
    assert o.charges(order_id) == [("sandbox", "authorize"), ("sandbox", "capture")]
    assert o.levels(sku) == (2, 0)
    assert len(o.api.get("/api/orders", token=customer).json()["items"]) == 1
    r = o.place(customer, {**body, "items": [{"sku": sku, "quantity": 2}]}, key)
    assert r.status == 422 and problem_code(r) == "idempotency_key_reused", r

    path, refund = (
        f"/api/orders/{order_id}/refunds",
        {"amount": {"amount": "1.00", "currency": "USD"}, "reason": "x"},
    )
    a = o.api.post(path, refund, token=o.support, headers={"Idempotency-Key": "rk"})
    b = o.api.post(path, refund, token=o.support, headers={"Idempotency-Key": "rk"})
    assert a.status == b.status == 201 and a.json() == b.json()
    assert o.charges(order_id).count(("sandbox", "refund")) == 1
    assert (
        o.api.post(path, {**refund, "reason": "y"}, token=o.support, headers={"Idempotency-Key": "rk"}).status
        == 422
    )


def test_bad_requests(o: OrderShop) -> None:
    sku, customer = o.product(stock=1), o.customer()
    body = o.order_body(sku, o.card(customer))
    assert error_fields(o.place(customer, {**body, "items": [{"sku": "NO-SUCH", "quantity": 1}]})) == [
        "items[0].sku"
    ]
    assert error_fields(o.place(customer, {**body, "items": [{"sku": sku, "quantity": 0}]})) == [
        "items[0].quantity"
    ]
    assert (
        o.api.post(
            "/api/orders", data=b"{nope", token=customer, headers={"Content-Type": "application/json"}
        ).status
        == 400
    )
    assert o.api.post("/api/orders", body).status == 401
    assert error_fields(o.api.get("/api/orders?continuationToken=garbage", token=customer)) == [
        "continuationToken"
    ]
    # Support and admin shop for themselves (issue 17, 15); a token without a shopping role cannot.
    assert o.api.post("/api/orders", body, token=o.api.dev_token(unique("nobody"), roles=[])).status == 403
    bad_card = {
        "cardNumber": "4242424242424241",
        "expMonth": 12,
        "expYear": 2031,
        "cvc": "123",
        "holderName": "x",
    }
    assert error_fields(o.api.post("/api/payments/tokens", bad_card, token=customer)) == ["cardNumber"]
    expired = {**bad_card, "cardNumber": "4242424242424242", "expYear": 2020}
    assert error_fields(o.api.post("/api/payments/tokens", expired, token=customer)) == ["expYear"]


def test_sandbox_ledger_is_admin_only(o: OrderShop) -> None:
    assert o.api.get("/api/dev/sandbox/charges", token=o.support).status == 403
    assert o.api.get("/api/dev/sandbox/charges").status == 401


def test_no_card_number_in_the_data_dir_or_logs(devhost: DevhostProcess, o: OrderShop) -> None:
    """Every test card tokenized and sent through the workflow (whatever else ran on this devhost),
    then the whole data dir is grepped: documents, bus, durable history, keys and the log."""
    sku, customer = o.product(stock=len(TEST_CARDS)), o.customer()
    ids = [o.place(customer, o.order_body(sku, o.card(customer, n))).json()["orderId"] for n in TEST_CARDS]
    # Refused cards too (a 422 path must not log what it refused), and a number typed with spaces.
    refused = {"4111111111111112": 2031, "4012888888881881": 2020}
    for number, year in refused.items():
        card = {"cardNumber": number, "expMonth": 12, "expYear": year, "cvc": "123", "holderName": "x"}
        assert o.api.post("/api/payments/tokens", card, token=customer).status == 422
    spaced = " ".join(TEST_CARDS[0][i : i + 4] for i in range(0, 16, 4))
    assert o.card(customer, spaced)
    for order_id in ids:
        o.wait_status(order_id, customer, FINAL | {"awaiting_review"})
    numbers = [*TEST_CARDS, *refused, spaced]
    found: list[str] = []
    for path in Path(devhost.data_dir).rglob("*"):
        if path.is_file():
            raw = path.read_bytes()
            found += [f"{path.name}: {n}" for n in numbers if n.encode() in raw]
    assert found == []


def test_a_subject_no_document_id_can_hold_is_one_user_everywhere(o: OrderShop) -> None:
    # Identity providers such as Auth0 issue subjects like "auth0|abc"; the profile, the order, the
    # card vault, ownership checks and the notifications must all agree on the one user id.
    sub = "auth0|" + unique("cust")
    customer = o.api.dev_token(sub, roles=["customer"], email="pipe@example.com")
    sku = o.product(stock=2)
    r = o.place(customer, o.order_body(sku, o.card(customer)))
    assert r.status == 202, r
    order_id = r.json()["orderId"]
    order = o.final(order_id, customer)
    assert order["status"] == "confirmed"
    me = o.api.get("/api/me", token=customer).json()
    assert order["customerId"] == me["id"] != sub
    listed = o.api.get("/api/orders", token=customer).json()["items"]
    assert [item["id"] for item in listed] == [order_id]
    assert o.api.get(f"/api/payments/{order['payment']['paymentId']}", token=customer).status == 200
    wait_for(
        lambda: o.api.get("/api/me/notifications", token=customer).json()["items"],
        timeout=20,
        message="the confirmation notification under the same user id",
    )
    assert o.api.get(f"/api/orders/{order_id}", token=o.customer()).status == 404
