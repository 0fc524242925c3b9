"""Issue 17, points 12 (orders and payments), 14 and 15: what customers and staff expect, over
devhost HTTP (API.md "Additions (v1.1)").

- 12: single orders and payments carry an `ETag`; a stale `If-Match` on an order command is a 412;
  the OpenAPI document declares `Idempotency-Key`, `If-Match`, the refund 409 and the headers.
- 14: an order that ends unfulfilled says why (`failureReason`) and the customer is told.
- 15: saved cards listed and deleted; refund requests; staff shop; `Retry-After`; shipment
  tracking; "no longer sold"; slug and name filters; availability in listings.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.catalog_support import problem_code
from tests.e2e.conftest import DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, unique, wait_for
from tests.e2e.orders_support import BLOCKED, DECLINED, NO_FUNDS, OrderShop, order_shop

pytestmark = pytest.mark.e2e
USD = "USD"


@pytest.fixture(scope="module")
def devhost(start_devhost_module: StartDevhost) -> Iterator[DevhostProcess]:
    yield start_devhost_module()


@pytest.fixture(scope="module")
def o(devhost: DevhostProcess) -> OrderShop:
    return order_shop(ApiClient(devhost.url))


def _confirmed(o: OrderShop, customer: str, price: str = "10.00", stock: int = 5) -> dict[str, Any]:
    sku = o.product(stock=stock, price=price)
    r = o.place(customer, o.order_body(sku, o.card(customer)))
    assert r.status == 202, r
    order = o.final(r.json()["orderId"], customer)
    assert order["status"] == "confirmed", order
    return order


def _templates(o: OrderShop, customer: str, wanted: set[str]) -> set[str]:
    def check() -> set[str] | None:
        items = o.api.get("/api/me/notifications?limit=100", token=customer).json()["items"]
        seen = {n["template"] for n in items}
        return seen if wanted <= seen else None

    return wait_for(check, timeout=20, message=f"notifications {sorted(wanted)}")


# --- point 12: ETag / If-Match on orders and payments; the OpenAPI document -----------------------


def test_order_and_payment_carry_an_etag_and_a_stale_if_match_is_412(o: OrderShop) -> None:
    customer = o.customer()
    order = _confirmed(o, customer)
    path = f"/api/orders/{order['id']}"
    first = o.api.get(path, token=customer)
    etag = first.header("ETag")
    assert first.status == 200 and etag and etag.startswith('W/"'), first.headers
    assert o.api.get(path, token=o.support).header("ETag") == etag  # the same version for staff
    # Bookkeeping the client cannot see (the confirmation notification being recorded right after
    # the order shows `confirmed`) leaves the ETag alone: an If-Match from that read still holds.
    wait_for(
        lambda: (
            "NotificationRequested"
            in [e["type"] for e in o.api.get(f"{path}/events", token=customer).json()["items"]]
        ),
        timeout=20,
        message="the confirmation notification recorded",
    )
    assert o.api.get(path, token=customer).header("ETag") == etag
    payment = o.api.get(f"/api/payments/{order['payment']['paymentId']}", token=customer)
    assert payment.status == 200 and (payment.header("ETag") or "").startswith('"'), payment.headers

    # Another agent changes the order (a partial refund): the ETag read before is stale now.
    half = {"amount": {"amount": "4.00", "currency": USD}, "reason": "dent"}
    r = o.api.post(f"{path}/refunds", half, token=o.support, headers={"If-Match": etag})
    assert r.status == 201, r
    current = o.api.get(path, token=customer).header("ETag")
    assert current and current != etag
    r = o.api.post(f"{path}/ship", token=o.admin, headers={"If-Match": etag})
    assert r.status == 412 and problem_code(r) == "precondition_failed", r
    assert o.order(order["id"], customer)["status"] == "confirmed"  # a refused change changes nothing
    r = o.api.post(f"{path}/refunds", {"reason": "x"}, token=o.support, headers={"If-Match": etag})
    assert r.status == 412, r
    r = o.api.post(f"{path}/cancel", token=customer, headers={"If-Match": etag})
    assert r.status == 412, r
    assert o.order(order["id"], customer)["refundedAmount"]["amount"] == "4.00"
    r = o.api.post(f"{path}/ship", token=o.admin, headers={"If-Match": current})
    assert r.status == 202, r
    assert o.api.get(path, token=customer).json()["status"] == "shipped"


def test_openapi_declares_idempotency_key_if_match_the_refund_409_and_headers(o: OrderShop) -> None:
    doc = o.api.get("/api/openapi.json").json()
    components = doc["components"]

    def op(path: str, method: str) -> dict[str, Any]:
        return dict(doc["paths"][path][method])

    def header_names(operation: dict[str, Any]) -> set[str]:
        params = [
            components["parameters"][p["$ref"].rsplit("/", 1)[1]] if "$ref" in p else p
            for p in operation.get("parameters", [])
        ]
        return {p["name"] for p in params if p["in"] == "header"}

    place = op("/api/orders", "post")
    assert "Idempotency-Key" in header_names(place)
    assert {"Location", "Retry-After"} <= set(place["responses"]["202"]["headers"])
    refund = op("/api/orders/{orderId}/refunds", "post")
    assert {"Idempotency-Key", "If-Match"} <= header_names(refund)
    assert {"201", "400", "401", "403", "404", "409", "412", "415", "422"} <= set(refund["responses"])
    assert components["responses"]["Problem409"]["content"]["application/problem+json"]
    for path in ("/api/orders/{orderId}", "/api/payments/{paymentId}"):
        assert "ETag" in op(path, "get")["responses"]["200"]["headers"], path
    for path in ("/api/orders/{orderId}/cancel", "/api/orders/{orderId}/ship"):
        assert "If-Match" in header_names(op(path, "post")) and "412" in op(path, "post")["responses"]


# --- point 14: failureReason and the customer told of every unfulfilled end -----------------------


@pytest.mark.parametrize(
    ("number", "status", "reason", "template"),
    [
        (DECLINED, "payment_failed", "card_declined", "order-payment-failed"),
        (NO_FUNDS, "payment_failed", "insufficient_funds", "order-payment-failed"),
        (BLOCKED, "rejected", "fraud_rejected", "order-rejected"),
    ],
)
def test_a_failed_payment_or_rejection_says_why_and_tells_the_customer(
    o: OrderShop, number: str, status: str, reason: str, template: str
) -> None:
    sku, customer = o.product(stock=3), o.customer()
    order_id = o.place(customer, o.order_body(sku, o.card(customer, number))).json()["orderId"]
    order = o.final(order_id, customer)
    assert order["status"] == status and order["failureReason"] == reason, order
    listed = o.api.get(f"/api/orders?status={status}", token=customer).json()["items"]
    assert [x["failureReason"] for x in listed if x["id"] == order_id] == [reason]
    assert template in _templates(o, customer, {template})


def test_out_of_stock_and_cancellation_say_why(o: OrderShop) -> None:
    customer = o.customer()
    sku = o.product(stock=1)
    token = o.card(customer)
    short = o.place(customer, o.order_body(sku, token, quantity=2)).json()["orderId"]
    order = o.final(short, customer)
    assert order["status"] == "out_of_stock" and order["failureReason"] == "out_of_stock", order
    assert "order-out-of-stock" in _templates(o, customer, {"order-out-of-stock"})

    confirmed = _confirmed(o, customer)
    assert confirmed["failureReason"] is None
    assert o.api.post(f"/api/orders/{confirmed['id']}/cancel", token=customer).status == 202
    assert o.final(confirmed["id"], customer)["failureReason"] == "cancelled_by_customer"
    other = _confirmed(o, customer)
    assert o.api.post(f"/api/orders/{other['id']}/cancel", token=o.support).status == 202
    assert o.final(other["id"], customer)["failureReason"] == "cancelled_by_staff"


# --- point 15 -------------------------------------------------------------------------------------


def test_customers_list_and_delete_their_saved_cards(o: OrderShop) -> None:
    alice, bob = o.customer(), o.customer()
    first, second = o.card(alice), o.card(alice, DECLINED)
    bobs = o.card(bob)
    r = o.api.get("/api/payments/tokens", token=alice)
    assert r.status == 200, r
    items = r.json()["items"]
    assert {i["token"] for i in items} == {first, second}
    for item in items:
        assert set(item) == {"token", "brand", "last4", "expMonth", "expYear"}, item
    assert {i["last4"] for i in items} == {"4242", "0002"}
    assert o.api.get("/api/payments/tokens").status == 401
    assert o.api.delete(f"/api/payments/tokens/{bobs}", token=alice).status == 404  # not hers
    assert o.api.delete(f"/api/payments/tokens/{first}", token=alice).status == 204
    assert [i["token"] for i in o.api.get("/api/payments/tokens", token=alice).json()["items"]] == [second]
    assert o.api.delete(f"/api/payments/tokens/{first}", token=alice).status == 404
    assert [i["token"] for i in o.api.get("/api/payments/tokens", token=bob).json()["items"]] == [bobs]
    # A deleted card cannot be ordered with.
    r = o.place(alice, o.order_body(o.product(stock=1), first))
    assert r.status == 422 and problem_code(r) == "unknown_payment_token", r


def test_a_customer_requests_a_refund_of_a_delivered_order_and_staff_decide(o: OrderShop) -> None:
    customer, stranger = o.customer(), o.customer()
    order = _confirmed(o, customer, price="30.00")
    requests = f"/api/orders/{order['id']}/refund-requests"
    body = {"reason": "arrived broken"}
    r = o.api.post(requests, body, token=customer)
    assert r.status == 409 and problem_code(r) == "order_not_delivered", r  # not shipped yet
    assert o.api.post(f"/api/orders/{order['id']}/ship", token=o.admin).status == 202

    assert o.api.post(requests, body, token=stranger).status == 404
    assert o.api.post(requests, body, token=o.support).status == 403  # staff refund directly
    r = o.api.post(requests, body, token=customer)
    assert r.status == 201 and r.json()["status"] == "requested", r
    request_id = r.json()["id"]
    assert r.header("Location") == f"{requests}/{request_id}"
    assert problem_code(o.api.post(requests, body, token=customer)) == "refund_request_open"
    assert o.api.post(f"{requests}/{request_id}/approve", token=customer).status == 403
    listed = o.api.get(requests, token=customer).json()["items"]
    assert [(x["id"], x["status"]) for x in listed] == [(request_id, "requested")]

    approved = o.api.post(f"{requests}/{request_id}/approve", {"note": "sorry"}, token=o.support)
    assert approved.status == 200 and approved.json()["status"] == "approved", approved
    again = o.api.post(f"{requests}/{request_id}/approve", token=o.admin)
    assert again.status == 200 and again.json()["refundId"] == approved.json()["refundId"]  # idempotent
    after = o.order(order["id"], customer)
    assert after["status"] == "refunded" and after["refundedAmount"]["amount"] == "30.00", after
    assert after["refundRequests"][0]["status"] == "approved"
    assert [op for _, op in o.charges(order["id"])].count("refund") == 1
    assert problem_code(o.api.post(f"{requests}/{request_id}/reject", token=o.support)) == (
        "refund_request_decided"
    )


def test_staff_reject_a_refund_request_and_nothing_is_refunded(o: OrderShop) -> None:
    customer = o.customer()
    order = _confirmed(o, customer)
    assert o.api.post(f"/api/orders/{order['id']}/ship", token=o.admin).status == 202
    requests = f"/api/orders/{order['id']}/refund-requests"
    request_id = o.api.post(requests, {"reason": "changed my mind"}, token=customer).json()["id"]
    r = o.api.post(f"{requests}/{request_id}/reject", {"note": "used"}, token=o.admin)
    assert r.status == 200 and r.json()["status"] == "rejected" and r.json()["note"] == "used", r
    assert o.api.post(f"{requests}/{request_id}/approve", token=o.admin).status == 409
    assert o.order(order["id"], customer)["refundedAmount"]["amount"] == "0.00"
    assert "refund" not in [op for _, op in o.charges(order["id"])]


@pytest.mark.parametrize("role", ["admin", "support"])
def test_staff_place_orders_for_themselves(o: OrderShop, role: str) -> None:
    staff = o.api.dev_token(unique(role), roles=[role])
    order = _confirmed(o, staff)
    me = o.api.get("/api/me", token=staff).json()
    assert order["customerId"] == me["id"]


def test_the_202_of_post_orders_says_when_to_poll(o: OrderShop) -> None:
    customer = o.customer()
    r = o.place(customer, o.order_body(o.product(stock=1), o.card(customer)))
    assert r.status == 202 and r.header("Location") == f"/api/orders/{r.json()['orderId']}", r
    retry_after = r.header("Retry-After")
    assert retry_after is not None and retry_after.isdigit() and int(retry_after) >= 1, r.headers


def test_shipping_records_carrier_and_tracking_number_the_customer_sees(o: OrderShop) -> None:
    customer = o.customer()
    order = _confirmed(o, customer)
    path = f"/api/orders/{order['id']}/ship"
    r = o.api.post(path, {"carrier": "DHL", "trackingNumber": "JD0146 0001"}, token=o.admin)
    assert r.status == 202, r
    shipped = o.order(order["id"], customer)
    shipment = shipped["shipment"]
    assert shipment["carrier"] == "DHL" and shipment["trackingNumber"] == "JD0146 0001", shipped
    assert shipment["shippedAt"]
    assert "order-shipped" in _templates(o, customer, {"order-shipped"})
    r = o.api.post(f"/api/orders/{_confirmed(o, customer)['id']}/ship", {"carrier": "DHL"}, token=o.admin)
    assert r.status == 422, r  # a carrier without a tracking number


def test_an_archived_sku_is_no_longer_sold_not_unknown(o: OrderShop) -> None:
    customer = o.customer()
    sku = o.product(stock=3)
    token = o.card(customer)
    listed = o.api.get("/api/products?limit=100").json()["items"]
    product_id = next(p["id"] for p in listed if p["sku"] == sku)
    assert o.api.delete(f"/api/products/{product_id}", token=o.admin).status == 204
    r = o.place(customer, o.order_body(sku, token))
    assert r.status == 422 and problem_code(r) == "sku_no_longer_sold", r
    assert r.json()["type"].endswith("sku_no_longer_sold")
    assert r.json()["errors"][0]["field"] == "items[0].sku"
    unknown = o.place(customer, o.order_body("NO-SUCH-SKU", token))
    assert problem_code(unknown) == "unknown_sku"


def test_listing_filters_take_slugs_and_names(o: OrderShop) -> None:
    api, admin = o.api, o.admin
    name = f"Garden Tools {unique('c')}"
    category = api.post("/api/categories", {"name": name}, token=admin).json()
    brand = api.post("/api/brands", {"name": f"Acme & Sons {unique('b')}"}, token=admin).json()
    body = o.s.product_body((category["id"], brand["id"]))
    assert api.post("/api/products", body, token=admin).status == 201
    for value in (category["id"], category["slug"], name, name.upper()):
        r = api.get("/api/products?category=" + _q(value))
        assert [p["sku"] for p in r.json()["items"]] == [body["sku"]], (value, r)
    for value in (brand["slug"], brand["name"]):
        r = api.get("/api/products?brand=" + _q(value))
        assert [p["sku"] for p in r.json()["items"]] == [body["sku"]], (value, r)
    assert api.get("/api/products?category=" + _q("no such category")).json()["items"] == []


def test_listings_carry_availability_per_sku(o: OrderShop) -> None:
    api, admin = o.api, o.admin
    refs = o.s.create_refs()
    variants: list[dict[str, Any]] = [{"sku": unique("V"), "attributes": {"size": s}} for s in ("S", "M")]
    r = api.post("/api/products", o.s.product_body(refs, variants=variants), token=admin)
    assert r.status == 201, r
    plain = o.product(stock=0)
    # Every sku an order may name: the product's own, then each variant's.
    stocked = {r.json()["sku"]: 0, variants[0]["sku"]: 4, variants[1]["sku"]: 0}
    assert (
        api.post(
            f"/api/inventory/{variants[0]['sku']}/adjustments", {"delta": 4, "reason": "e2e"}, token=admin
        ).status
        == 200
    )
    listed = api.get(f"/api/products?category={refs[0]}").json()["items"]
    assert len(listed) == 1
    item = listed[0]
    assert [a["sku"] for a in item["availability"]] == list(stocked)
    assert {a["sku"]: a["available"] for a in item["availability"]} == stocked
    assert {a["sku"]: a["inStock"] for a in item["availability"]} == {k: v > 0 for k, v in stocked.items()}
    assert item["inStock"] is True
    everything = api.get("/api/products?limit=100").json()["items"]
    lonely = next(p for p in everything if p["sku"] == plain)
    assert lonely["availability"] == [{"sku": plain, "available": 0, "inStock": False}]
    assert lonely["inStock"] is False
    # Stock moves without catalog events; a listing shows it within CATALOG_LISTING_STOCK_TTL_SECONDS
    # (1 s): an order's consumed stock shows.
    customer = o.customer()
    body = o.order_body(variants[0]["sku"], o.card(customer), quantity=3)
    order_id = o.place(customer, body).json()["orderId"]
    assert o.final(order_id, customer)["status"] == "confirmed"

    def sold() -> bool:
        listed = api.get(f"/api/products?category={refs[0]}").json()["items"]
        return {a["sku"]: a["available"] for a in listed[0]["availability"]}[variants[0]["sku"]] == 1

    wait_for(sold, timeout=10, interval=0.2, message="the listing to show 1 left")


def _q(value: str) -> str:
    return quote(value, safe="")
