"""Customer journeys through the storefront in Chromium, against a real seeded devhost.

A customer finds a product by a misspelled search, orders it with the approved sandbox card and
sees it confirmed; an order held for review turns confirmed on the open page, pushed by the
real-time stream, when staff approve it; failures are shown as the API's problem details in words.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Axe, Site, sign_in_as
from tests.e2e.helpers import wait_for

APPROVED = "4242 4242 4242 4242"
DECLINED = "4000 0000 0000 0002"
REVIEW = "4000 0000 0000 4954"
LIVE_TIMEOUT_MS = 30_000
# web/store/order-words.js: what the pages say for each failureReason of API v1.1.
FAILURE_WORDS = {
    "card_declined": "The card was declined by the bank.",
    "cancelled_by_customer": "You cancelled the order.",
    "cancelled_by_staff": "Our staff cancelled the order.",
}


def critical(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] == "critical"]


def sign_in(page: Any, persona: str = "customer") -> None:
    page.goto("/")
    page.get_by_label("Demo customer").select_option(persona)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("signed-in-as")).to_be_visible()


def sign_in_as_new_customer(page: Any) -> str:
    """Sign in through web/lib/auth.js as a customer nobody has seen yet (a dev token for a fresh
    subject), so order history from other tests cannot change how the fraud check sees them."""
    sub = f"browser-{uuid.uuid4().hex[:10]}"
    sign_in_as(
        page, {"sub": sub, "roles": ["customer"], "name": "New Shopper", "email": f"{sub}@example.com"}
    )
    expect(page.get_by_test_id("signed-in-as")).to_have_text("New Shopper")
    return sub


def add_in_stock_product_from_search(page: Any, misspelled: str, expected_word: str) -> str:
    """Search with a typo, open the first in-stock hit, add it to the cart; returns its name."""
    box = page.get_by_role("combobox", name="Search products")
    box.fill(misspelled)
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Results for “{misspelled}”")
    results = page.get_by_test_id("search-results")
    expect(results).to_contain_text(expected_word)
    hit = results.get_by_role("listitem").filter(has_not=page.locator(".badge-bad")).first
    name = str(hit.get_by_role("link").inner_text())
    assert expected_word.lower() in name.lower(), name
    hit.get_by_role("link").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)
    page.get_by_role("button", name="Add to cart").click()
    expect(page.locator("#add-result")).to_contain_text(f"Added 1 \u00d7 {name}")
    return name


def checkout(page: Any, card: str) -> str:
    """From the cart to a placed order with a new address and `card`; returns the order id."""
    page.get_by_role("link", name=re.compile(r"^Cart")).click()
    page.get_by_role("link", name="Checkout").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Checkout")
    saved = page.get_by_role("group", name="Shipping address").get_by_role("radio")
    if saved.count() > 1:  # a saved address is chosen first: the new-address fields stay out of the way
        expect(page.get_by_label("Street and number")).to_be_hidden()
    page.get_by_label("A new address").check()
    expect(page.get_by_label("Street and number")).to_be_visible()
    page.get_by_label("Street and number").fill("1 Test Street")
    page.get_by_label("City").fill("Berlin")
    page.get_by_label("Postal code").fill("10115")
    page.get_by_label(re.compile("^Country")).fill("DE")
    page.get_by_role("button", name=f"Use card {card}").click()
    expect(page.get_by_label("Card number")).to_have_value(card)
    page.get_by_role("button", name="Place order").click()
    expect(page).to_have_url(re.compile(r"#/orders/ord_"), timeout=LIVE_TIMEOUT_MS)
    return str(page.url.rsplit("/", 1)[1])


def place_order(site: Site, token: str, card: str) -> str:
    sku = site.api.get("/api/search?q=kettle&limit=1").json()["items"][0]
    product = site.api.get(f"/api/products/{sku['productId']}").json()
    card_body = {
        "cardNumber": card.replace(" ", ""),
        "expMonth": 12,
        "expYear": 2099,
        "cvc": "123",
        "holderName": "D",
    }
    payment = site.api.post("/api/payments/tokens", card_body, token=token).json()["token"]
    address = {"line1": "1 Test Street", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    body = {
        "items": [{"sku": product["sku"], "quantity": 1}],
        "shippingAddress": address,
        "paymentToken": payment,
    }
    r = site.api.post("/api/orders", body, token=token, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert r.status == 202, r
    return str(r.json()["orderId"])


def test_a_misspelled_search_finds_it_and_the_approved_card_confirms_it(
    page: Any, site: Site, axe: Axe
) -> None:
    sub = sign_in_as_new_customer(page)
    # Autocomplete first: a prefix suggests products, picked with the keyboard.
    box = page.get_by_role("combobox", name="Search products")
    box.press_sequentially("kett", delay=30)
    expect(page.get_by_role("option").filter(has_text="Kettle").first).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    first = page.get_by_role("option").first.inner_text()
    box.press("ArrowDown")
    expect(page.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    box.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Results for “{first}”")
    expect(page.get_by_role("listbox")).to_be_hidden()
    box.fill("")
    name = add_in_stock_product_from_search(page, "kettel", "Kettle")
    order_id = checkout(page, APPROVED)
    expect(page.get_by_test_id("order-status")).to_have_text("Confirmed", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    expect(page.locator("#order-events")).to_contain_text("Order confirmed")
    # What the page says is what the API says.
    order = site.api.get(f"/api/orders/{order_id}", token=site.customer_token(sub)).json()
    assert order["status"] == "confirmed" and order["items"][0]["name"] == name
    # The history lists it, and the cart was emptied by the order.
    page.get_by_role("link", name="Orders").click()
    row = page.locator(f'tr[data-order="{order_id}"]')
    expect(row).to_contain_text("Confirmed")
    expect(page.locator("#cart-count")).to_have_text("0")


def test_an_order_held_for_review_turns_confirmed_live_when_staff_approve(page: Any, site: Site) -> None:
    sign_in(page)
    add_in_stock_product_from_search(page, "yoga matt", "Yoga Mat")
    order_id = checkout(page, REVIEW)
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting review", timeout=LIVE_TIMEOUT_MS)
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")
    page.evaluate("() => { window.__sameDocument = true; }")  # gone if the page reloads
    admin = site.admin_token()
    r = site.api.post(
        f"/api/orders/{order_id}/review", {"decision": "approve", "note": "browser test"}, token=admin
    )
    assert r.status == 202, r
    expect(page.get_by_test_id("order-status")).to_have_text("Confirmed", timeout=LIVE_TIMEOUT_MS)
    assert page.evaluate("() => window.__sameDocument === true"), "the page reloaded instead of updating live"
    # It arrived through the stream, not by polling (polling is only the fallback).
    expect(page.locator("#live-state")).to_have_attribute("data-state", "live")


def test_the_order_history_updates_live_too(page: Any, site: Site) -> None:
    sign_in_as_new_customer(page)
    add_in_stock_product_from_search(page, "yoga matt", "Yoga Mat")
    order_id = checkout(page, REVIEW)
    expect(page.get_by_test_id("order-status")).to_have_text("Awaiting review", timeout=LIVE_TIMEOUT_MS)
    page.get_by_role("link", name="Orders").click()
    row = page.locator(f'tr[data-order="{order_id}"]')
    expect(row).to_contain_text("Awaiting review")
    expect(page.locator("#orders-list")).to_have_attribute("data-live", "live")
    r = site.api.post(f"/api/orders/{order_id}/review", {"decision": "approve"}, token=site.admin_token())
    assert r.status == 202, r
    expect(row).to_contain_text("Confirmed", timeout=LIVE_TIMEOUT_MS)


def test_an_older_update_arriving_last_does_not_put_the_history_back(page: Any) -> None:
    """Status updates are delivered at least once and in no fixed order: several events of one
    order are relayed together and handled concurrently (the live-history test above once saw
    `OrderAwaitingReview` pushed after `OrderConfirmed`). The stream is replaced here by one that
    sends the newer status, then the older one; the row must keep showing the order as it is."""
    sign_in_as_new_customer(page)
    add_in_stock_product_from_search(page, "yoga matt", "Yoga Mat")
    order_id = checkout(page, APPROVED)
    expect(page.get_by_test_id("order-status")).to_have_text("Confirmed", timeout=LIVE_TIMEOUT_MS)

    def frame(event: str, data: dict[str, str]) -> str:
        return f"event: {event}\ndata: {json.dumps(data)}\n\n"

    newer = {"type": "orderStatusChanged", "orderId": order_id, "status": "confirmed"}
    older = {"type": "orderStatusChanged", "orderId": order_id, "status": "awaiting_review"}
    body = "retry: 60000\n" + frame("connected", {}) + frame("orderStatusChanged", newer)
    body += frame("orderStatusChanged", older)
    page.route(
        "**/api/realtime/stream**",
        lambda route: route.fulfill(status=200, content_type="text/event-stream", body=body),
    )
    page.get_by_role("link", name="Orders").click()
    row = page.locator(f'tr[data-order="{order_id}"]')
    expect(row).to_contain_text("Confirmed")
    expect(page.locator("#orders-list")).to_have_attribute("data-live", "live")
    page.wait_for_timeout(1500)  # both frames handled (they arrive with the connection)
    expect(row).to_contain_text("Confirmed", timeout=1)
    expect(row).not_to_contain_text("Awaiting review", timeout=1)


def test_a_declined_card_shows_why_the_order_failed(page: Any, site: Site) -> None:
    sub = sign_in_as_new_customer(page)
    add_in_stock_product_from_search(page, "yoga matt", "Yoga Mat")
    order_id = checkout(page, DECLINED)
    expect(page.get_by_test_id("order-status")).to_have_text("Payment failed", timeout=LIVE_TIMEOUT_MS)
    expect(page.get_by_test_id("failure-reason")).to_contain_text("The card was declined by the bank.")
    order = site.api.get(f"/api/orders/{order_id}", token=site.customer_token(sub)).json()
    assert order["status"] == "payment_failed"
    if "failureReason" in order:  # the field of API v1.1; older APIs record the reason in the events
        assert order["failureReason"] == "card_declined"
    page.get_by_role("link", name="Orders").click()
    expect(page.locator(f'tr[data-order="{order_id}"]')).to_contain_text("The card was declined by the bank.")


def test_a_refused_card_number_is_shown_as_the_apis_problem_in_words(page: Any, site: Site) -> None:
    sign_in(page)
    add_in_stock_product_from_search(page, "yoga matt", "Yoga Mat")
    page.get_by_role("link", name=re.compile(r"^Cart")).click()
    page.get_by_role("link", name="Checkout").click()
    page.get_by_label("A new card").check()
    page.get_by_label("Card number").fill("4242 4242 4242 4241")  # fails the Luhn check
    page.get_by_role("button", name="Place order").click()
    problem = page.locator("#checkout-problem .problem")
    expect(problem).to_be_visible()
    # The same request straight to the API: the page must show its title, detail and field errors.
    body = {
        "cardNumber": "4242424242424241",
        "expMonth": 12,
        "expYear": 2099,
        "cvc": "123",
        "holderName": "x",
    }
    api_problem = site.api.post("/api/payments/tokens", body, token=site.customer_token()).json()
    assert api_problem["status"] == 422
    expect(problem).to_contain_text(api_problem["title"])
    if api_problem.get("detail"):
        expect(problem).to_contain_text(api_problem["detail"])
    for error in api_problem.get("errors", []):
        expect(problem).to_contain_text(error["message"])
    expect(page.locator("#checkout-problem")).to_contain_text("The order was not placed.")
    expect(page).to_have_url(re.compile("#/checkout$"))


def test_an_invalid_address_shows_the_field_errors(page: Any, site: Site) -> None:
    sign_in(page, "customer2")
    page.get_by_role("link", name="Account").click()
    page.get_by_label("Street and number").fill("2 Test Road")
    page.get_by_label("City").fill("Paris")
    page.get_by_label("Postal code").fill("75001")
    page.get_by_label(re.compile("^Country")).fill("XX")
    page.get_by_role("button", name="Save address").click()
    problem = page.locator("#address-problem .problem")
    expect(problem).to_contain_text("country")
    expect(problem).to_contain_text("422")
    # A valid one is saved and listed.
    page.get_by_label(re.compile("^Country")).fill("FR")
    page.get_by_role("button", name="Save address").click()
    expect(page.get_by_test_id("addresses")).to_contain_text("2 Test Road")
    # At checkout the saved address is chosen, and the new-address fields stay hidden until asked for.
    add_in_stock_product_from_search(page, "kettel", "Kettle")
    page.goto("/#/checkout")
    expect(page.get_by_role("radio", name=re.compile("^2 Test Road")).first).to_be_checked()
    expect(page.get_by_label("Street and number")).to_be_hidden()
    page.get_by_label("A new address").check()
    expect(page.get_by_label("Street and number")).to_be_visible()


def confirmed_order_in_the_page(page: Any, site: Site) -> str:
    """A new customer's confirmed order, shown on its page; staff approve it if it was held."""
    sign_in_as_new_customer(page)
    add_in_stock_product_from_search(page, "kettel", "Kettle")
    order_id = checkout(page, APPROVED)
    status = page.get_by_test_id("order-status")
    expect(status).to_have_text(re.compile("Confirmed|Awaiting review"), timeout=LIVE_TIMEOUT_MS)
    if status.inner_text() == "Awaiting review":  # the fraud model may hold any order: staff approve it
        site.api.post(f"/api/orders/{order_id}/review", {"decision": "approve"}, token=site.admin_token())
    expect(status).to_have_text("Confirmed", timeout=LIVE_TIMEOUT_MS)
    return order_id


def test_a_customer_cancels_a_confirmed_order(page: Any, site: Site) -> None:
    order_id = confirmed_order_in_the_page(page, site)
    expect(page.get_by_role("button", name="Request a refund")).to_have_count(0)  # cancel, not refund
    page.get_by_role("button", name="Cancel this order").click()
    expect(page.get_by_test_id("order-status")).to_have_text("Cancelled", timeout=LIVE_TIMEOUT_MS)
    order = site.api.get(f"/api/orders/{order_id}", token=site.admin_token()).json()
    assert order["status"] == "cancelled"
    if order.get("failureReason"):
        expect(page.get_by_test_id("failure-reason")).to_contain_text(FAILURE_WORDS[order["failureReason"]])


def test_a_refund_request_for_a_shipped_order_is_sent_or_the_apis_answer_is_shown(
    page: Any, site: Site
) -> None:
    order_id = confirmed_order_in_the_page(page, site)
    r = site.api.post(f"/api/orders/{order_id}/ship", token=site.admin_token())
    assert r.status == 202, r
    expect(page.get_by_test_id("order-status")).to_have_text("Shipped", timeout=LIVE_TIMEOUT_MS)
    page.get_by_label("Ask for a refund: what went wrong?").fill("It arrived dented")
    page.get_by_role("button", name="Request a refund").click()
    result = page.locator("#action-result")
    expect(result.locator(".notice, .problem")).to_be_visible()
    route = site.api.get(f"/api/orders/{order_id}/refund-requests", token=site.admin_token())
    if route.status == 404 and "no function serves" in route.text:
        # The route has not landed in this API yet: the page says so with the API's own problem.
        expect(result).to_contain_text("The refund request was not sent.")
        expect(result).to_contain_text(re.compile("not found", re.I))
    else:
        expect(page.get_by_test_id("refund-requested")).to_contain_text("Refund requested")
        expect(page.get_by_test_id("refund-requests")).to_contain_text("It arrived dented")
        expect(page.get_by_role("button", name="Request a refund")).to_have_count(0)  # one open at a time


def test_search_facets_narrow_the_results_as_the_api_does(page: Any, site: Site) -> None:
    page.goto("/#/search?q=kettle")
    expect(page.get_by_test_id("result-count")).to_be_visible()
    api = site.api.get("/api/search?q=kettle&limit=12").json()
    expect(page.get_by_test_id("result-count")).to_have_text(re.compile(rf"^{api['total']} result"))
    brand = api["facets"]["brand"][0]
    facets = page.get_by_role("complementary", name="Narrow the results")
    facets.get_by_role("link", name=brand["name"], exact=True).click()
    narrowed = site.api.get(f"/api/search?q=kettle&brand={brand['id']}&limit=12").json()
    expect(page.get_by_test_id("result-count")).to_have_text(re.compile(rf"^{narrowed['total']} result"))
    assert narrowed["total"] == brand["count"]
    names = page.get_by_test_id("search-results").locator("h3")
    expect(names).to_have_count(len(narrowed["items"]))
    expect(page.get_by_test_id("search-results")).not_to_contain_text(
        next(i["name"] for i in api["items"] if i["brandId"] != brand["id"])
    )
    expect(facets.get_by_role("link", name=brand["name"], exact=True)).to_have_attribute(
        "aria-current", "true"
    )
    # A price band on top, then clear everything.
    band = next(b for b in narrowed["facets"]["price"] if b.get("max"))
    facets.get_by_role("link", name=re.compile(rf"^\${float(band['min']):.2f}")).first.click()
    both = site.api.get(
        f"/api/search?q=kettle&brand={brand['id']}&minPrice={band['min']}&maxPrice={band['max']}&limit=12"
    ).json()
    expect(page.get_by_test_id("result-count")).to_have_text(re.compile(rf"^{both['total']} result"))
    facets.get_by_role("link", name="Clear filters").click()
    expect(page.get_by_test_id("result-count")).to_have_text(re.compile(rf"^{api['total']} result"))


def test_browse_by_category_and_brand_with_paging(page: Any, site: Site) -> None:
    page.goto("/#/browse")
    page.get_by_label("Category").select_option(label="Kitchen")
    page.get_by_role("button", name="Show").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Kitchen")
    cards = page.locator("#results .product-card h3")
    expect(cards).to_have_count(12)
    first_page = cards.all_inner_texts()
    page.get_by_role("link", name="Next page").click()
    expect(page.locator("[aria-current=page]")).to_have_text("Page 2")
    expect(cards.first).not_to_have_text(first_page[0])
    second_page = cards.all_inner_texts()
    assert not set(first_page) & set(second_page)
    page.get_by_role("link", name="Previous page").click()
    expect(cards.first).to_have_text(first_page[0])
    # The API's own first page of the category, in the same order.
    api_page = site.api.get("/api/products?category=cat-kitchen&limit=12").json()
    assert [p["name"] for p in api_page["items"]] == first_page
    # Category and brand together.
    brand = api_page["items"][0]["brandId"]
    page.goto(f"/#/browse?category=cat-kitchen&brand={brand}")
    expected = site.api.get(f"/api/products?category=cat-kitchen&brand={brand}&limit=12").json()["items"]
    expect(cards).to_have_count(len(expected))


def test_product_variants_price_and_availability(page: Any, site: Site, axe: Axe) -> None:
    product = next(
        p
        for p in site.api.get("/api/products?category=cat-apparel&limit=50").json()["items"]
        if len(p["variants"]) >= 2
    )
    page.goto(f"/#/product/{product['id']}")
    expect(page.get_by_role("heading", level=1)).to_have_text(product["name"])
    options = page.get_by_role("group", name="Choose an option").get_by_role("radio")
    expect(options).to_have_count(len(product["variants"]))
    for i in (0, len(product["variants"]) - 1):
        variant = product["variants"][i]
        options.nth(i).check()
        price = (variant.get("price") or product["price"])["amount"]
        expect(page.locator("#unit-price")).to_contain_text(f"{float(price):,.2f}")
        level = site.api.get(f"/api/inventory/{variant['sku']}").json()
        stock = page.locator("#unit-stock")
        if level["available"] <= 0:
            expect(stock).to_contain_text("Out of stock")
        elif level["available"] < 5:
            expect(stock).to_contain_text(f"Only {level['available']} left")
        else:
            expect(stock).to_contain_text(f"{level['available']} available")
    expect(page.get_by_test_id("also-bought").get_by_role("listitem").first).to_be_visible()
    assert not critical(axe(page))


def test_personal_recommendations_and_notifications(page: Any, site: Site) -> None:
    sign_in(page)
    expect(page.get_by_role("heading", name="Recommended for you")).to_be_visible()
    recs = page.get_by_test_id("recommendations")
    expect(recs.get_by_role("listitem").first).to_be_visible()
    expected = site.api.get("/api/recommendations?limit=8", token=site.customer_token()).json()
    assert expected["strategy"] != "popular"  # Dana has seeded history: the list is personal
    expect(recs).to_have_attribute("data-strategy", expected["strategy"])
    # Notifications: an order confirmation reaches Dana (placed through the API here).
    token = site.customer_token()
    place_order(site, token, APPROVED)
    wait_for(
        lambda: site.api.get("/api/me/notifications", token=token).json()["items"],
        timeout=30,
        message="a notification for the demo customer",
    )
    page.get_by_role("link", name="Notifications").click()
    expect(page.get_by_test_id("notifications").get_by_role("listitem").first).to_be_visible()


def test_signed_out_pages_ask_to_sign_in_and_unknown_pages_say_so(page: Any, site: Site) -> None:
    page.goto("/#/orders")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to see your orders")
    page.get_by_role("button", name="Sign in as Dana (customer)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your orders")
    page.goto(f"/#/nowhere-{uuid.uuid4().hex[:6]}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
    page.goto("/#/product/does-not-exist")
    api_problem = site.api.get("/api/products/does-not-exist").json()
    expect(page.locator(".problem")).to_contain_text(api_problem["title"])
    expect(page.locator(".problem")).to_contain_text(api_problem["detail"])
