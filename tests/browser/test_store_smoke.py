"""The storefront loads in Chromium from devhost: home page, departments, recommendations."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.browser.conftest import Axe, Site


def test_home_shows_departments_and_popular_products(page: Any, site: Site, axe: Axe) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to SmartCommerce")
    expect(page.get_by_role("link", name="Kitchen")).to_be_visible()
    expect(page.get_by_test_id("recommendations").get_by_role("listitem").first).to_be_visible()
    critical = [v for v in axe(page) if v["impact"] == "critical"]
    assert not critical, critical
