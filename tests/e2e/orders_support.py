"""Helpers for the orders/payments e2e tests: a shop with stock, cards, orders and their ends."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.e2e.catalog_support import Shop, shop
from tests.e2e.helpers import ApiClient, HttpResult, unique, wait_for

APPROVED, DECLINED, NO_FUNDS = "4242424242424242", "4000000000000002", "4000000000009995"
PROCESSING_ERROR, HIGHEST, BLOCKED = "4000000000000119", "4000000000004954", "4100000000000019"
TEST_CARDS = (APPROVED, DECLINED, NO_FUNDS, PROCESSING_ERROR, HIGHEST, BLOCKED)
FINAL = {"confirmed", "out_of_stock", "payment_failed", "rejected", "cancelled", "refunded", "shipped"}
ADDRESS = {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"}


@dataclass
class OrderShop:
    s: Shop
    support: str

    @property
    def api(self) -> ApiClient:
        return self.s.api

    @property
    def admin(self) -> str:
        return self.s.admin

    def customer(self) -> str:
        return self.api.dev_token(unique("cust"), roles=["customer"])

    def product(self, stock: int, price: str = "10.00") -> str:
        sku = str(self.s.create_product(self.s.create_refs(), amount=price).json()["sku"])
        if stock:
            r = self.api.post(
                f"/api/inventory/{sku}/adjustments", {"delta": stock, "reason": "e2e"}, token=self.admin
            )
            assert r.status == 200, r
        return sku

    def card(self, customer: str, number: str = APPROVED) -> str:
        body = {"cardNumber": number, "expMonth": 12, "expYear": 2031, "cvc": "123", "holderName": "E2E"}
        r = self.api.post("/api/payments/tokens", body, token=customer)
        assert r.status == 201, r
        return str(r.json()["token"])

    def order_body(self, sku: str, token: str, quantity: int = 1) -> dict[str, Any]:
        return {
            "items": [{"sku": sku, "quantity": quantity}],
            "shippingAddress": ADDRESS,
            "paymentToken": token,
        }

    def place(self, customer: str, body: dict[str, Any], key: str | None = None) -> HttpResult:
        headers = {"Idempotency-Key": key} if key else None
        return self.api.post("/api/orders", body, token=customer, headers=headers)

    def order(self, order_id: str, token: str) -> dict[str, Any]:
        r = self.api.get(f"/api/orders/{order_id}", token=token)
        assert r.status == 200, r
        return dict(r.json())

    def wait_status(
        self, order_id: str, token: str, statuses: set[str], timeout: float = 30.0
    ) -> dict[str, Any]:
        def check() -> dict[str, Any] | None:
            order = self.order(order_id, token)
            return order if order["status"] in statuses else None

        return wait_for(check, timeout=timeout, interval=0.1, message=f"order {order_id} in {statuses}")

    def final(self, order_id: str, token: str, timeout: float = 30.0) -> dict[str, Any]:
        return self.wait_status(order_id, token, FINAL, timeout)

    def levels(self, sku: str) -> tuple[int, int]:
        r = self.api.get(f"/api/inventory/{sku}")
        assert r.status == 200, r
        return int(r.json()["onHand"]), int(r.json()["reserved"])

    def charges(self, order_id: str) -> list[tuple[str, str]]:
        r = self.api.get(f"/api/dev/sandbox/charges?orderId={order_id}", token=self.admin)
        assert r.status == 200, r
        return [(c["provider"], c["operation"]) for c in r.json()["items"]]


def order_shop(api: ApiClient) -> OrderShop:
    return OrderShop(shop(api), api.dev_token(unique("support"), roles=["support"]))
