"""The back office's pages for `make screenshots` (called by tests/browser/screenshots.py).

Sets up what the pages show through the API first (an order waiting for review, a confirmed
order, a running experiment with some traffic, a few searches), then photographs each page
signed in as the demo admin. Runs against the screenshot run's own throwaway devhost."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.browser.admin_support import backoffice
from tests.browser.conftest import DESKTOP, PHONE, Site
from tests.e2e.helpers import unique, wait_for
from tests.e2e.orders_support import APPROVED, HIGHEST

ROOT = Path(__file__).resolve().parents[2]


def _prepare(site: Site) -> dict[str, str]:
    bo = backoffice(site)
    review, _ = bo.order(HIGHEST)
    confirmed, customer = bo.order(APPROVED)
    bo.wait_status(review, {"awaiting_review"})
    bo.wait_status(confirmed, {"confirmed"})
    # Shipped with tracking, and the customer asks for a refund: the order page's fullest state.
    shipment = {"carrier": "DHL", "trackingNumber": "JD014600000001"}
    if site.api.post(f"/api/orders/{confirmed}/ship", shipment, token=bo.admin).status == 202:
        bo.wait_status(confirmed, {"shipped"})
        ask = {"reason": "arrived scratched"}
        site.api.post(f"/api/orders/{confirmed}/refund-requests", ask, token=customer)
    product = site.api.get("/api/products?limit=1").json()["items"][0]["id"]
    recs = site.api.get("/api/inventory/reorder-recommendations", token=bo.admin).json()["items"]
    for q in ("kettle", "kettel", "yoga mat", "wireless earbuds", "zzqxnothing"):
        site.api.get(f"/api/search?q={quote(q)}")
    experiment = "popular-vs-hybrid"
    body = {
        "name": experiment,
        "target": "recommendations",
        "variants": [
            {"name": "control", "weight": 1, "config": {"strategy": "hybrid"}},
            {"name": "popular", "weight": 1, "config": {"strategy": "popular"}},
        ],
    }
    if site.api.post("/api/experiments", body, token=bo.admin).status == 201:
        for n in range(60):
            token = site.token(unique("shot-shopper"), ["customer"])
            shown = site.api.get("/api/recommendations?limit=3", token=token).json()
            if shown["items"] and n % (2 if shown["variant"] == "popular" else 3) == 0:
                click = {"productId": shown["items"][0]["productId"], "type": "click"}
                site.api.post("/api/interactions", click, token=token)
    wait_for(
        lambda: site.api.get(f"/api/experiments/{experiment}", token=bo.admin).status == 200,
        timeout=10,
        message="the experiment",
    )
    return {
        "admin-reviews": "/admin/#/reviews",
        "admin-orders": "/admin/#/orders",
        "admin-order": f"/admin/#/orders/{confirmed}",
        "admin-products": "/admin/#/products",
        "admin-product": f"/admin/#/products/{product}",
        "admin-models": "/admin/#/models",
        "admin-pricing": "/admin/#/pricing?status=",
        "admin-reorder": f"/admin/#/reorder/{recs[0]['sku']}" if recs else "/admin/#/reorder",
        "admin-experiment": f"/admin/#/experiments/{experiment}",
        "admin-search": "/admin/#/search",
    }


def _signed_in(browser: Any, site: Site, viewport: dict[str, int]) -> Any:
    context = browser.new_context(base_url=site.url, viewport=viewport, locale="en-US", timezone_id="UTC")
    page = context.new_page()
    page.goto("/admin/#/sign-in")
    page.get_by_label("Sign in as").select_option("admin")
    page.get_by_role("button", name="Sign in").click()
    page.get_by_role("button", name="Sign out").wait_for()
    return page


def _shoot(page: Any, url: str, path: Path) -> None:
    page.goto(url)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(600)
    page.screenshot(path=str(path), full_page=True)
    print(f"wrote {path.relative_to(ROOT)}")


def take(browser: Any, site: Site, out_dir: Path) -> None:
    pages = _prepare(site)
    page = _signed_in(browser, site, DESKTOP)
    for name, url in pages.items():
        _shoot(page, url, out_dir / f"{name}.png")
    page.context.close()
    phone = _signed_in(browser, site, PHONE)
    for name in ("admin-reviews", "admin-order"):
        _shoot(phone, pages[name], out_dir / f"{name}-phone.png")
    phone.context.close()
