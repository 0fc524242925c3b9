"""Inventory over HTTP through devhost: levels, adjustments (409 below zero), auth, audit trail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.catalog_support import Shop, error_fields, problem_code, shop
from tests.e2e.conftest import StartDevhost
from tests.e2e.helpers import ApiClient

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def s(start_devhost_module: StartDevhost) -> Iterator[Shop]:
    dh = start_devhost_module()
    yield shop(ApiClient(dh.url))


def levels(s: Shop, sku: str) -> dict[str, int]:
    r = s.api.get(f"/api/inventory/{sku}")
    assert r.status == 200, r
    return {k: r.json()[k] for k in ("onHand", "reserved", "available")}


def test_every_sku_has_a_record_right_after_post_products(s: Shop) -> None:
    refs = s.create_refs()
    product = s.create_product(
        refs, variants=[{"sku": "E2E-V-" + refs[0][:8], "attributes": {"size": "M"}}]
    ).json()
    for sku in (product["sku"], product["variants"][0]["sku"]):
        assert levels(s, sku) == {"onHand": 0, "reserved": 0, "available": 0}
        assert s.api.get(f"/api/inventory/{sku}").json()["sku"] == sku


def test_unknown_sku_is_404(s: Shop) -> None:
    r = s.api.get("/api/inventory/NO-SUCH-SKU")
    assert r.status == 404 and problem_code(r) == "not_found"


def test_adjustments(s: Shop) -> None:
    sku = s.create_product(s.create_refs()).json()["sku"]
    path = f"/api/inventory/{sku}/adjustments"
    r = s.api.post(path, {"delta": 12, "reason": "received shipment"}, token=s.admin)
    assert r.status == 200, r
    assert r.json()["onHand"] == 12 and r.json()["available"] == 12
    r = s.api.post(path, {"delta": -2, "reason": "damaged"}, token=s.admin)
    assert r.status == 200 and r.json()["onHand"] == 10

    # Below zero: 409 and nothing changed.
    r = s.api.post(path, {"delta": -11, "reason": "too many"}, token=s.admin)
    assert r.status == 409 and problem_code(r) == "insufficient_stock"
    assert levels(s, sku) == {"onHand": 10, "reserved": 0, "available": 10}

    # Auth: anonymous 401, customer 403, nothing changed.
    assert s.api.post(path, {"delta": 1, "reason": "x"}).status == 401
    assert s.api.post(path, {"delta": 1, "reason": "x"}, token=s.customer).status == 403
    # Validation: 422 naming the field; malformed JSON 400; nothing changed.
    assert error_fields(s.api.post(path, {"delta": "many", "reason": "x"}, token=s.admin)) == ["delta"]
    assert "reason" in error_fields(s.api.post(path, {"delta": 1}, token=s.admin))
    assert error_fields(s.api.post(path, {"delta": 0, "reason": "x"}, token=s.admin)) == ["delta"]
    # JSON true and "3" are not unit counts (lax parsing took them as 1 and 3 and changed stock).
    for not_a_count in (True, "3", 1.5):
        r = s.api.post(path, {"delta": not_a_count, "reason": "x"}, token=s.admin)
        assert error_fields(r) == ["delta"], not_a_count
    bad = s.api.request(
        "POST", path, data=b"{not json", headers={"Content-Type": "application/json"}, token=s.admin
    )
    assert bad.status == 400
    assert levels(s, sku) == {"onHand": 10, "reserved": 0, "available": 10}
    # Unknown sku: 404.
    assert (
        s.api.post("/api/inventory/NOPE-1/adjustments", {"delta": 1, "reason": "x"}, token=s.admin).status
        == 404
    )

    # The audit trail, newest first.
    trail = s.api.get(path, token=s.admin)
    assert trail.status == 200, trail
    assert [(a["delta"], a["reason"]) for a in trail.json()["items"]] == [
        (-2, "damaged"),
        (12, "received shipment"),
    ]
    assert s.api.get(path, token=s.customer).status == 403
    assert error_fields(s.api.get(path + "?continuationToken=garbage", token=s.admin)) == [
        "continuationToken"
    ]


def test_threshold(s: Shop) -> None:
    sku = s.create_product(s.create_refs()).json()["sku"]
    r = s.api.put(f"/api/inventory/{sku}/threshold", {"lowStockThreshold": 3}, token=s.admin)
    assert r.status == 200 and r.json()["lowStockThreshold"] == 3
    assert (
        s.api.put(f"/api/inventory/{sku}/threshold", {"lowStockThreshold": -1}, token=s.admin).status == 422
    )
    assert s.api.get(f"/api/inventory/{sku}").json()["lowStockThreshold"] == 3
