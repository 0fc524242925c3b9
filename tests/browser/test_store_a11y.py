"""Accessibility and small screens: axe-core on the storefront's main pages (home, search,
product, cart, checkout, order), keyboard use, and a 375 px wide phone without sideways scrolling."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import Axe, Site
from tests.browser.test_store_journeys import add_in_stock_product_from_search, sign_in

# Issue 18's bar is no "critical" violation; the pages have none of "serious" either, so both fail
# the test (moderate and minor ones are best-practice advice, reported by `summary`).
BLOCKING = {"critical", "serious"}


def blocking(violations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [v for v in violations if v["impact"] in BLOCKING]


def summary(violations: list[dict[str, Any]]) -> str:
    return "\n".join(
        f"{v['impact']}: {v['id']} ({v['help']}) at {[n['target'] for n in v['nodes'][:3]]}"
        for v in violations
    )


def first_product_id(site: Site) -> str:
    return str(site.api.get("/api/products?category=cat-apparel&limit=1").json()["items"][0]["id"])


@pytest.fixture
def shop_with_cart(page: Any) -> Any:
    sign_in(page)
    add_in_stock_product_from_search(page, "kettel", "Kettle")
    return page


def test_home_search_and_product_pages_have_no_critical_violations(page: Any, site: Site, axe: Axe) -> None:
    checked = {
        "home": "/",
        "search": "/#/search?q=kettle",
        "product": f"/#/product/{first_product_id(site)}",
        "browse": "/#/browse?category=cat-kitchen",
    }
    for name, url in checked.items():
        page.goto(url)
        expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")
        expect(page.locator("#main .muted", has_text="Loading")).to_have_count(0)
        violations = axe(page)
        assert not blocking(violations), f"{name}:\n{summary(violations)}"


def test_cart_checkout_and_order_pages_have_no_critical_violations(shop_with_cart: Any, axe: Axe) -> None:
    page = shop_with_cart
    page.goto("/#/cart")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your cart")
    assert not blocking(axe(page)), summary(axe(page))
    page.goto("/#/checkout")
    expect(page.get_by_role("button", name="Place order")).to_be_visible()
    violations = axe(page)
    assert not blocking(violations), summary(violations)
    # The checkout's error state too: a refused card shows a problem alert.
    page.get_by_label("A new card").check()
    page.get_by_label("Card number").fill("1234")
    page.get_by_role("button", name="Place order").click()
    expect(page.locator("#checkout-problem .problem")).to_be_visible()
    violations = axe(page)
    assert not blocking(violations), summary(violations)


def test_everything_is_labelled_and_the_page_has_landmarks(page: Any, site: Site, axe: Axe) -> None:
    page.goto(f"/#/product/{first_product_id(site)}")
    expect(page.get_by_role("button", name="Add to cart")).to_be_visible()
    for role in ("banner", "main", "contentinfo", "navigation", "search"):
        assert page.get_by_role(role).count() >= 1, role  # type: ignore[arg-type]
    rules = {v["id"] for v in axe(page)}
    assert not rules & {
        "label",
        "button-name",
        "link-name",
        "color-contrast",
        "landmark-one-main",
        "html-has-lang",
    }, rules


def test_keyboard_only_skip_link_and_search(page: Any, site: Site) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.locator("#main")).to_be_focused()
    expect(page).to_have_url(re.compile(r"/$|#/$"))  # the skip link is not a route
    page.get_by_role("link", name="SmartCommerce").focus()
    page.keyboard.press("Tab")
    expect(page.get_by_role("combobox", name="Search products")).to_be_focused()
    page.keyboard.type("kettel")
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “kettel”")


@pytest.mark.parametrize(
    "route", ["/", "/#/search?q=kettle", "/#/browse?category=cat-apparel", "product", "/#/checkout"]
)
def test_usable_at_375_px_without_sideways_scrolling(phone_page: Any, site: Site, route: str) -> None:
    page = phone_page
    url = f"/#/product/{first_product_id(site)}" if route == "product" else route
    if route == "/#/checkout":
        sign_in(page)
        add_in_stock_product_from_search(page, "kettel", "Kettle")
    page.goto(url)
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator("#main .muted", has_text="Loading")).to_have_count(0)
    width = page.evaluate("() => document.documentElement.scrollWidth")
    assert width <= 375, f"{url} is {width}px wide at a 375px viewport"
    # The search box and the main call to action stay reachable on a phone.
    expect(page.get_by_role("combobox", name="Search products")).to_be_visible()
    if route == "/#/checkout":
        expect(page.get_by_role("button", name=re.compile("Place order"))).to_be_visible()


def test_account_orders_and_notifications_pages_have_no_critical_violations(
    page: Any, site: Site, axe: Axe
) -> None:
    sign_in(page)
    for url, heading in (
        ("/#/orders", "Your orders"),
        ("/#/account", "Your account"),
        ("/#/notifications", "Notifications"),
    ):
        page.goto(url)
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        expect(page.locator("#main .muted", has_text="Loading")).to_have_count(0)
        violations = axe(page)
        assert not blocking(violations), f"{url}:\n{summary(violations)}"
