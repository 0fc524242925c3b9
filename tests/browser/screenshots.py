"""PNGs of the main pages into docs/screenshots/ (`make screenshots`).

Starts a seeded devhost on a free port (or uses SC_BROWSER_DEVHOST), places a confirmed order for
the demo customer through the API so the order pages have something to show, then photographs
the storefront at desktop and phone width in headless Chromium. The back office adds its pages
with a module `tests/browser/admin_screenshots.py` defining `take(browser, site, out_dir)`.
"""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

from tests.browser.conftest import CHROMIUM_ARGS, DESKTOP, PHONE, SEED_TIMEOUT, Site
from tests.browser.deps import CHROMIUM, ensure_chromium
from tests.e2e.conftest import Launcher
from tests.e2e.helpers import ApiClient, wait_for

ROOT = Path(__file__).resolve().parents[2]
OUT_DIR = ROOT / "docs" / "screenshots"
CUSTOMER = "demo-shopper-0001"


def place_confirmed_order(site: Site) -> str:
    token = site.customer_token(CUSTOMER)
    hit = site.api.get("/api/search?q=kettle&limit=1").json()["items"][0]
    sku = site.api.get(f"/api/products/{hit['productId']}").json()["sku"]
    card = {
        "cardNumber": "4242424242424242",
        "expMonth": 12,
        "expYear": 2099,
        "cvc": "123",
        "holderName": "Dana",
    }
    payment = site.api.post("/api/payments/tokens", card, token=token).json()["token"]
    address = {
        "line1": "1 Demo Street",
        "city": "Berlin",
        "postalCode": "10115",
        "country": "DE",
        "isDefault": True,
    }
    site.api.post("/api/me/addresses", address, token=token)
    shipping = {k: v for k, v in address.items() if k != "isDefault"}
    body = {"items": [{"sku": sku, "quantity": 1}], "shippingAddress": shipping, "paymentToken": payment}
    r = site.api.post("/api/orders", body, token=token, headers={"Idempotency-Key": uuid.uuid4().hex})
    order_id = str(r.json()["orderId"])
    wait_for(
        lambda: site.api.get(f"/api/orders/{order_id}", token=token).json()["status"] != "pending",
        timeout=30,
        message="the demo order to leave pending",
    )
    return order_id


def _signed_in_context(browser: Any, site: Site, viewport: dict[str, int], cart: list[dict[str, Any]]) -> Any:
    context = browser.new_context(base_url=site.url, viewport=viewport, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    page.goto("/")
    page.get_by_label("Demo customer").select_option("customer")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_test_id("signed-in-as").wait_for()
    page.evaluate("cart => localStorage.setItem('sc.cart', JSON.stringify(cart))", cart)
    return page


def _shoot(page: Any, url: str, path: Path) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.locator("#main[aria-busy=true]").wait_for(state="detached", timeout=15_000)
    page.wait_for_timeout(400)
    page.screenshot(path=str(path), full_page=True)
    print(f"wrote {path.relative_to(ROOT)}")


def take_store(browser: Any, site: Site, out_dir: Path) -> None:
    order_id = place_confirmed_order(site)
    product = site.api.get("/api/products?category=cat-apparel&limit=20").json()["items"]
    with_variants = next((p for p in product if p["variants"]), product[0])
    cart = [
        {
            "sku": with_variants["variants"][0]["sku"] if with_variants["variants"] else with_variants["sku"],
            "productId": with_variants["id"],
            "name": with_variants["name"],
            "unitPrice": with_variants["price"],
            "attributes": with_variants["variants"][0]["attributes"] if with_variants["variants"] else {},
            "quantity": 1,
        }
    ]
    pages = {
        "store-home": "/",
        "store-browse": "/#/browse?category=cat-kitchen",
        "store-search": "/#/search?q=kettel",
        "store-product": f"/#/product/{with_variants['id']}",
        "store-cart": "/#/cart",
        "store-checkout": "/#/checkout",
        "store-order": f"/#/orders/{order_id}",
        "store-orders": "/#/orders",
        "store-notifications": "/#/notifications",
        "store-account": "/#/account",
    }
    page = _signed_in_context(browser, site, DESKTOP, cart)
    for name, url in pages.items():
        _shoot(page, url, out_dir / f"{name}.png")
    page.context.close()
    phone = _signed_in_context(browser, site, PHONE, cart)
    for name in ("store-home", "store-product", "store-checkout"):
        _shoot(phone, pages[name], out_dir / f"{name}-phone.png")
    phone.context.close()


def main() -> int:
    from playwright.sync_api import sync_playwright

    ensure_chromium()
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    launcher = Launcher(Path(tempfile.mkdtemp(prefix="sc-screenshots-")))
    try:
        url = os.environ.get("SC_BROWSER_DEVHOST", "").rstrip("/")
        if not url:
            dh = launcher.start(seed=True)
            url = dh.url
        api = ApiClient(url, timeout=30)
        wait_for(
            lambda: api.get("/runtime/devhost/status").json()["seeded"], timeout=SEED_TIMEOUT, interval=0.5
        )
        site = Site(url, api, Path())
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
            take_store(browser, site, OUT_DIR)
            try:
                admin = importlib.import_module("tests.browser.admin_screenshots")
            except ModuleNotFoundError as exc:
                if exc.name != "tests.browser.admin_screenshots":
                    raise
            else:
                admin.take(browser, site, OUT_DIR)
            browser.close()
    finally:
        launcher.stop_all()
    return 0


if __name__ == "__main__":
    sys.exit(main())
