"""The back office's fraud review queue in Chromium: a person approves an order the fraud check sent
to review and sees the workflow confirm it; a decision the API refuses is shown in the API's words;
the page passes axe-core and works at a phone's width.

Orders reach review with the sandbox card whose provider risk signal is `highest` (API.md: "fraud
decision `review`: a person decides"), as in tests/e2e/test_fraud_e2e.py.
"""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.admin_support import backoffice, problem_of, sign_in
from tests.browser.conftest import Axe, Site, settle
from tests.e2e.orders_support import HIGHEST

WORKFLOW_TIMEOUT_MS = 60_000  # capture + confirm after the decision, on 2 shared cores


def test_admin_approves_an_order_in_review_and_sees_it_confirmed(page: Any, site: Site) -> None:
    bo = backoffice(site)
    order_id, _ = bo.order(HIGHEST)
    bo.wait_status(order_id, {"awaiting_review"})

    sign_in(page, "admin", "reviews")
    row = page.get_by_role("row").filter(has_text=order_id)
    expect(row.get_by_role("cell").filter(has_text="awaiting review").first).to_be_visible()
    row.get_by_label(f"Note for order {order_id} (optional)").fill("known customer, called back")
    row.get_by_role("button", name="Approve").click()

    expect(row.get_by_role("status")).to_contain_text(
        f"Order {order_id} is now confirmed", timeout=WORKFLOW_TIMEOUT_MS
    )
    # The page said so because the API says so: confirmed, paid, and out of the queue.
    order = bo.orders.order(order_id, bo.support)
    assert order["status"] == "confirmed" and order["payment"]["status"] == "captured", order
    queue = site.api.get("/api/fraud/reviews?limit=100", token=bo.support).json()["items"]
    assert order_id not in {o["id"] for o in queue}
    page.reload()
    expect(page.get_by_role("heading", name="Waiting for a decision")).to_be_visible()
    settle(page)
    expect(page.get_by_role("row").filter(has_text=order_id)).to_have_count(0)


def test_a_stale_decision_shows_the_apis_problem_details_in_words(page: Any, site: Site) -> None:
    bo = backoffice(site)
    order_id, _ = bo.order(HIGHEST)
    bo.wait_status(order_id, {"awaiting_review"})
    sign_in(page, "support", "reviews")
    row = page.get_by_role("row").filter(has_text=order_id)
    expect(row.get_by_role("button", name="Approve")).to_be_visible()

    # Someone else rejects it while this page still shows it waiting.
    r = site.api.post(f"/api/orders/{order_id}/review", {"decision": "reject"}, token=bo.support)
    assert r.status == 202, r
    bo.wait_status(order_id, {"rejected"})
    refused = problem_of(
        site.api.post(f"/api/orders/{order_id}/review", {"decision": "approve"}, token=bo.support)
    )
    assert refused["status"] == 409, refused

    row.get_by_role("button", name="Approve").click()
    alert = row.get_by_role("alert")
    expect(alert).to_contain_text(refused["title"])
    expect(alert).to_contain_text(refused["detail"])
    expect(alert).to_contain_text(refused["code"])
    assert "409" not in alert.inner_text().split(refused["title"])[0], "a bare status code instead of words"
    assert bo.orders.order(order_id, bo.support)["status"] == "rejected"


def test_review_queue_has_no_critical_or_serious_axe_violations(page: Any, site: Site, axe: Axe) -> None:
    bo = backoffice(site)
    order_id, _ = bo.order(HIGHEST)
    bo.wait_status(order_id, {"awaiting_review"})
    sign_in(page, "admin", "reviews")
    expect(page.get_by_role("row").filter(has_text=order_id)).to_be_visible()
    expect(page.get_by_role("img", name="Fraud scores of the last")).to_be_visible()
    settle(page)
    bad = [v for v in axe(page) if v["impact"] in {"critical", "serious"}]
    assert not bad, bad


def test_the_queue_works_at_a_phone_width_and_by_keyboard(phone_page: Any, site: Site) -> None:
    bo = backoffice(site)
    order_id, _ = bo.order(HIGHEST)
    bo.wait_status(order_id, {"awaiting_review"})
    sign_in(phone_page, "support", "reviews")
    reject = phone_page.locator(f'.decision[data-order-id="{order_id}"]').get_by_role("button", name="Reject")
    expect(reject).to_be_visible()
    reject.scroll_into_view_if_needed()
    box = reject.bounding_box()
    width = phone_page.viewport_size["width"]
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= width, (box, width)
    assert phone_page.evaluate("() => document.documentElement.scrollWidth") <= width
    reject.focus()  # the keyboard alone decides: focus and Enter
    phone_page.keyboard.press("Enter")
    expect(
        phone_page.locator(f'.decision[data-order-id="{order_id}"]').get_by_role("status")
    ).to_contain_text("rejected", timeout=WORKFLOW_TIMEOUT_MS)
    assert bo.orders.order(order_id, bo.support)["status"] == "rejected"
