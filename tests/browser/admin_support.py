"""Helpers for the back-office browser tests: state set up through the API, staff signed in through
the page. Test products go into a seeded category and brand, so the storefront's department list
(shared devhost) does not grow a test department per test."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Site
from tests.e2e.catalog_support import Shop
from tests.e2e.helpers import HttpResult, unique
from tests.e2e.orders_support import OrderShop


@dataclass
class Backoffice:
    site: Site
    orders: OrderShop

    @property
    def admin(self) -> str:
        return self.orders.admin

    @property
    def support(self) -> str:
        return self.orders.support

    def product(self, stock: int = 20, price: str = "49.00") -> dict[str, Any]:
        api = self.site.api
        category = api.get("/api/categories?limit=1").json()["items"][0]["id"]
        brand = api.get("/api/brands?limit=1").json()["items"][0]["id"]
        body = {
            "sku": unique("BO"),
            "name": unique("Back office test item"),
            "description": "made by a back-office browser test",
            "categoryId": category,
            "brandId": brand,
            "price": {"amount": price, "currency": "USD"},
        }
        r = api.post("/api/products", body, token=self.admin)
        assert r.status == 201, r
        if stock:
            adj = api.post(
                f"/api/inventory/{body['sku']}/adjustments",
                {"delta": stock, "reason": "test"},
                token=self.admin,
            )
            assert adj.status == 200, adj
        return dict(r.json())

    def order(self, card: str, *, quantity: int = 1) -> tuple[str, str]:
        """(order id, customer token) of a new order for a fresh product, paid with `card`."""
        sku = self.product()["sku"]
        customer = self.orders.customer()
        r = self.orders.place(
            customer, self.orders.order_body(sku, self.orders.card(customer, card), quantity)
        )
        assert r.status == 202, r
        return str(r.json()["orderId"]), customer

    def wait_status(self, order_id: str, statuses: set[str], timeout: float = 60.0) -> dict[str, Any]:
        return self.orders.wait_status(order_id, self.support, statuses, timeout)


def backoffice(site: Site) -> Backoffice:
    api = site.api
    admin = api.dev_token(unique("bo-admin"), roles=["admin"])
    support = api.dev_token(unique("bo-support"), roles=["support"])
    return Backoffice(
        site, OrderShop(Shop(api, admin, api.dev_token(unique("bo-cust"), roles=["customer"])), support)
    )


def sign_in(page: Any, persona: str = "admin", at: str = "reviews") -> None:
    """Open the back office at `#/<at>`, sign in as a staff persona there and land on that page."""
    page.goto(f"/admin/#/{at}")
    page.get_by_label("Sign in as").select_option(persona)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def problem_of(r: HttpResult) -> dict[str, Any]:
    """The problem+json body of an error answer (what the page must show in words)."""
    assert r.status >= 400 and r.content_type.startswith("application/problem+json"), r
    return dict(r.json())
