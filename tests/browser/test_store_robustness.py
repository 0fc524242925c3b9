"""What must hold when things are not ideal: markup in catalog data stays text, the live status
falls back to polling when the real-time service is unavailable, and a double click orders once."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Site
from tests.browser.test_store_journeys import (
    LIVE_TIMEOUT_MS,
    REVIEW,
    add_in_stock_product_from_search,
    checkout,
    sign_in_as_new_customer,
)

APPROVED = "4242 4242 4242 4242"


def test_markup_in_product_data_is_shown_as_text(page: Any, site: Site) -> None:
    admin = site.admin_token()
    name = '<img src=x id="injected"> Fancy "Kettle" & <b>Co</b>'
    body = {
        "sku": f"XSS-{uuid.uuid4().hex[:8].upper()}",
        "name": name,
        "description": "<script>window.__owned = true</script>",
        "categoryId": "cat-kitchen",
        "brandId": "brand-00",
        "price": {"amount": "12.50", "currency": "USD"},
    }
    r = site.api.post("/api/products", body, token=admin)
    assert r.status == 201, r
    page.goto(f"/#/product/{r.json()['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    expect(page.locator("article")).to_contain_text("<script>window.__owned = true</script>")
    assert page.locator("#injected").count() == 0
    assert page.locator("article b").count() == 0
    assert page.evaluate("() => window.__owned") is None


def test_live_status_falls_back_to_polling_when_the_stream_is_unavailable(page: Any, site: Site) -> None:
    # The host answers negotiate with 503 when it has no real-time service: the page must poll.
    def unavailable(route: Any) -> None:
        problem = {
            "title": "Service Unavailable",
            "status": 503,
            "detail": "no real-time service",
            "code": "x",
        }
        route.fulfill(status=503, content_type="application/problem+json", body=json.dumps(problem))

    page.route("**/api/realtime/negotiate", unavailable)
    sign_in_as_new_customer(page)
    add_in_stock_product_from_search(page, "kettel", "Kettle")
    order_id = checkout(page, REVIEW)
    status = page.get_by_test_id("order-status")
    expect(status).to_have_text("Awaiting review", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#live-state")).to_have_attribute("data-state", "polling")
    r = site.api.post(f"/api/orders/{order_id}/review", {"decision": "approve"}, token=site.admin_token())
    assert r.status == 202, r
    expect(status).to_have_text("Confirmed", timeout=LIVE_TIMEOUT_MS)


def test_a_double_click_on_place_order_orders_once(page: Any, site: Site) -> None:
    sub = sign_in_as_new_customer(page)
    add_in_stock_product_from_search(page, "kettel", "Kettle")
    page.get_by_role("link", name=re.compile(r"^Cart")).click()
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("Street and number").fill("1 Test Street")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Postal code").fill("10115")
    page.get_by_label(re.compile("^Country")).fill("DE")
    page.get_by_role("button", name=f"Use card {APPROVED}").click()
    page.get_by_role("button", name="Place order").dblclick()
    expect(page).to_have_url(re.compile(r"#/orders/ord_"), timeout=LIVE_TIMEOUT_MS)
    token = site.customer_token(sub)
    orders = site.api.get("/api/orders", token=token).json()["items"]
    assert len(orders) == 1, orders
