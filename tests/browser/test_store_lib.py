"""The shared browser modules (web/lib/) in Chromium against the real API: the API client's
problem details and Idempotency-Key, the escaping template and formatting, the charts, and the
live order stream. The back office builds on the same modules."""

from __future__ import annotations

import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Site, sign_in_as


def test_api_errors_carry_the_problem_details_and_orders_get_an_idempotency_key(
    page: Any, site: Site
) -> None:
    sub = f"lib-{uuid.uuid4().hex[:8]}"
    sign_in_as(page, {"sub": sub, "roles": ["customer"], "name": "Lib Tester", "email": f"{sub}@example.com"})
    body = {"items": [{"sku": "NOPE-0", "quantity": 0}], "paymentToken": "tok_x", "shippingAddressId": "a"}
    posted: list[dict[str, str]] = []
    page.on(
        "request",
        lambda r: posted.append(r.headers) if r.method == "POST" and r.url.endswith("/api/orders") else None,
    )
    got = page.evaluate(
        """async body => {
            const { post, ApiError } = await import('/lib/api.js');
            try { await post('/orders', body); return null; }
            catch (e) { return {isApiError: e instanceof ApiError, status: e.status, title: e.title,
                                detail: e.detail, code: e.code, errors: e.errors, message: e.message}; }
        }""",
        body,
    )
    api = site.api.post(
        "/api/orders",
        body,
        token=site.token(sub, ["customer"]),
        headers={"Idempotency-Key": uuid.uuid4().hex},
    ).json()
    assert got is not None and got["isApiError"] and got["status"] == api["status"] == 422
    assert (got["title"], got["detail"], got["code"]) == (api["title"], api.get("detail", ""), api["code"])
    assert got["errors"] == api["errors"] and got["errors"], "field errors are kept"
    assert got["message"].startswith(api["title"])
    assert posted and re.fullmatch(r"[0-9a-f-]{32,36}", posted[0]["idempotency-key"]), posted
    assert posted[0]["authorization"].startswith("Bearer ")


def test_the_template_escapes_and_the_formatters_format(page: Any, site: Site) -> None:
    page.goto("/")
    got = page.evaluate(
        """async () => {
            const ui = await import('/lib/ui.js');
            const name = '<img src=x onerror=alert(1)> & "q"';
            return {
                markup: String(ui.html`<p title="${name}">${name}</p>${ui.raw('<b>ok</b>')}`),
                money: ui.money({amount: '1234.5', currency: 'USD'}),
                eur: ui.money({amount: '19.99', currency: 'EUR'}),
                words: ui.words('awaiting_review'),
                problem: ui.problemWords({title: 'Unprocessable', detail: 'bad input', errors: [
                    {field: 'items[0].quantity', message: 'must be at least 1'}]}),
            };
        }"""
    )
    assert got["markup"] == (
        '<p title="&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;">'
        "&lt;img src=x onerror=alert(1)&gt; &amp; &quot;q&quot;</p><b>ok</b>"
    )
    assert got["money"] == "$1,234.50" and got["eur"] == "€19.99"
    assert got["words"] == "Awaiting review"
    assert got["problem"] == "Unprocessable: bad input. items[0].quantity: must be at least 1"


def test_charts_draw_intervals_error_bars_and_describe_themselves(page: Any, site: Site) -> None:
    page.goto("/")
    page.evaluate(
        """async () => {
            const c = await import('/lib/charts.js');
            const host = document.createElement('div');
            host.id = 'charts';
            host.innerHTML = String(c.lineChart({title: 'Forecast', points: [
                {x: 'd1', y: 5, lo: 3, hi: 7}, {x: 'd2', y: 6, lo: 4, hi: 9},
                {x: 'd3', y: 4, lo: 2, hi: 6}]}))
              + String(c.barChart({title: 'Lift', bars: [
                {label: 'control', value: 0}, {label: 'b', value: 0.12, lo: -0.02, hi: 0.25}]}))
              + String(c.histogram({title: 'Scores', values: [0.05, 0.07, 0.5, 0.95], bins: 4}));
            document.body.append(host);
        }"""
    )
    charts = page.locator("#charts svg[role=img]")
    expect(charts).to_have_count(3)
    expect(page.locator("#charts svg").first.locator("polygon.band")).to_have_count(1)
    expect(page.locator("#charts svg").first.locator("polyline.line")).to_have_count(1)
    expect(page.locator("#charts svg").nth(1).locator("line.err")).to_have_count(3)  # one bar has an interval
    expect(page.get_by_role("img", name=re.compile("^Lift"))).to_be_visible()
    desc = page.locator("#charts svg").nth(2).locator("desc")
    expect(desc).to_contain_text("4 values in 4 bins from 0 to 1: 2, 0, 1, 1")


def test_the_stream_delivers_a_status_change_of_an_order_placed_elsewhere(page: Any, site: Site) -> None:
    sub = f"lib-{uuid.uuid4().hex[:8]}"
    sign_in_as(page, {"sub": sub, "roles": ["customer"], "name": "Lib Tester", "email": f"{sub}@example.com"})
    page.evaluate(
        """async () => {
            const { watchOrders } = await import('/lib/stream.js');
            window.__updates = []; window.__state = null;
            window.__watcher = watchOrders({
                onStatus: m => window.__updates.push(m), onState: s => window.__state = s});
        }"""
    )
    page.wait_for_function("() => window.__state === 'live'")
    token = site.token(sub, ["customer"])
    hit = site.api.get("/api/search?q=kettle&limit=1").json()["items"][0]
    sku = site.api.get(f"/api/products/{hit['productId']}").json()["sku"]
    card = {
        "cardNumber": "4242424242424242",
        "expMonth": 12,
        "expYear": 2099,
        "cvc": "123",
        "holderName": "L",
    }
    payment = site.api.post("/api/payments/tokens", card, token=token).json()["token"]
    address = {"line1": "1 Test Street", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    order = {"items": [{"sku": sku, "quantity": 1}], "shippingAddress": address, "paymentToken": payment}
    r = site.api.post("/api/orders", order, token=token, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status == 202, r
    order_id = r.json()["orderId"]
    page.wait_for_function(
        "id => window.__updates.some(m => m.orderId === id && m.status !== 'pending')",
        arg=order_id,
    )
    updates = page.evaluate("() => window.__updates")
    assert all(m["orderId"] == order_id for m in updates), updates  # only this customer's orders
    assert not any(m.get("polled") for m in updates), "pushed by the stream, not polled"
    page.evaluate("() => window.__watcher.close()")
