"""Catalog over HTTP through devhost: every route, auth, ETags (412/428), 422s, and that nothing
changed after each rejected request."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest

from tests.e2e.catalog_support import Shop, error_fields, problem_code, shop
from tests.e2e.conftest import StartDevhost
from tests.e2e.helpers import ApiClient, unique, wait_for

pytestmark = pytest.mark.e2e
JSON = {"Content-Type": "application/json"}
PNG = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000") + b"\x00" * 16


@pytest.fixture(scope="module")
def s(start_devhost_module: StartDevhost) -> Iterator[Shop]:
    dh = start_devhost_module()
    yield shop(ApiClient(dh.url))


def get(s: Shop, pid: str) -> dict[str, Any]:
    r = s.api.get(f"/api/products/{pid}")
    assert r.status == 200, r
    return dict(r.json())


def test_create_and_get(s: Shop) -> None:
    refs = s.create_refs()
    r = s.create_product(
        refs,
        variants=[
            {
                "sku": unique("VAR"),
                "attributes": {"color": "red"},
                "price": {"amount": "21.00", "currency": "USD"},
            }
        ],
    )
    product = r.json()
    assert r.header("Location") == f"/api/products/{product['id']}"
    assert r.header("ETag")
    fetched = s.api.get(f"/api/products/{product['id']}")
    assert fetched.status == 200 and fetched.header("ETag") == r.header("ETag")
    body = fetched.json()
    assert set(body) >= {
        "id",
        "sku",
        "name",
        "description",
        "categoryId",
        "brandId",
        "price",
        "attributes",
        "variants",
        "images",
        "status",
        "createdAt",
        "updatedAt",
    }
    assert body["price"] == {"amount": "19.99", "currency": "USD"} and body["status"] == "active"
    assert body["variants"][0]["price"] == {"amount": "21.00", "currency": "USD"}
    assert s.api.get("/api/products/does-not-exist").status == 404


def test_create_is_admin_only_and_validated(s: Shop) -> None:
    refs = s.create_refs()
    body = s.product_body(refs)
    assert s.api.post("/api/products", body).status == 401
    assert s.api.post("/api/products", body, token=s.customer).status == 403
    assert error_fields(
        s.api.post("/api/products", {**body, "price": {"amount": 19.99, "currency": "USD"}}, token=s.admin)
    ) == ["price"]
    lower = {**body, "price": {"amount": "1.00", "currency": "usd"}}
    assert error_fields(s.api.post("/api/products", lower, token=s.admin))[0].startswith("price")
    assert error_fields(s.api.post("/api/products", {**body, "name": ""}, token=s.admin)) == ["name"]
    dup = {**body, "variants": [{"sku": body["sku"]}]}
    assert error_fields(s.api.post("/api/products", dup, token=s.admin)) == ["variants[0].sku"]
    assert error_fields(s.api.post("/api/products", {**body, "brandId": "nope"}, token=s.admin)) == [
        "brandId"
    ]
    # JSON 1e400 parses to an infinite float: it was a 500 (and left the sku's inventory record).
    infinite = {"w": "INFINITE"}
    for field, doc in (
        ("attributes", {**body, "attributes": infinite}),
        ("variants[0].attributes", {**body, "variants": [{"sku": "V-1", "attributes": infinite}]}),
    ):
        raw = json.dumps(doc).replace('"INFINITE"', "1e400").encode()
        r = s.api.request("POST", "/api/products", data=raw, headers=JSON, token=s.admin)
        assert error_fields(r) == [field], r
    # None of the rejected requests created anything: the sku is still free.
    assert s.api.get(f"/api/inventory/{body['sku']}").status == 404
    assert s.api.post("/api/products", body, token=s.admin).status == 201
    taken = s.api.post("/api/products", {**body, "name": "Another"}, token=s.admin)
    assert taken.status == 409 and problem_code(taken) == "sku_taken"


def test_put_requires_if_match(s: Shop) -> None:
    refs = s.create_refs()
    created = s.create_product(refs)
    pid, etag = created.json()["id"], created.header("ETag")
    edited = {**created.json(), "name": "Renamed", "status": "archived", "images": ["x"], "id": "ignored"}
    path = f"/api/products/{pid}"
    r = s.api.put(path, edited, token=s.admin)
    assert r.status == 428 and problem_code(r) == "precondition_required"
    r = s.api.put(path, edited, token=s.admin, headers={"If-Match": '"stale"'})
    assert r.status == 412 and problem_code(r) == "precondition_failed"
    assert s.api.put(path, edited, token=s.customer, headers={"If-Match": etag}).status == 403
    assert error_fields(
        s.api.put(path, {**edited, "sku": "bad sku!"}, token=s.admin, headers={"If-Match": etag})
    ) == ["sku"]
    euros = {**edited, "price": {"amount": "9.00", "currency": "EUR"}}
    assert error_fields(s.api.put(path, euros, token=s.admin, headers={"If-Match": etag})) == [
        "price.currency"
    ]
    assert get(s, pid)["name"] == created.json()["name"]  # nothing changed
    assert get(s, pid)["price"] == {"amount": "19.99", "currency": "USD"}
    ok = s.api.put(path, edited, token=s.admin, headers={"If-Match": etag})
    assert ok.status == 200, ok
    assert ok.json()["name"] == "Renamed" and ok.json()["status"] == "active" and ok.json()["images"] == []
    assert ok.json()["id"] == pid and ok.header("ETag") != etag
    # The old ETag is now stale.
    assert (
        s.api.put(path, {**edited, "name": "Again"}, token=s.admin, headers={"If-Match": etag}).status == 412
    )
    assert get(s, pid)["name"] == "Renamed"
    assert s.api.put("/api/products/missing", edited, token=s.admin, headers={"If-Match": etag}).status == 404


def test_price_update_and_history(s: Shop) -> None:
    created = s.create_product(s.create_refs(), amount="10.00")
    pid, etag = created.json()["id"], created.header("ETag")
    path = f"/api/products/{pid}/price"
    new_price = {"price": {"amount": "12.50", "currency": "USD"}}
    assert s.api.put(path, new_price, token=s.admin).status == 428
    assert s.api.put(path, new_price, token=s.admin, headers={"If-Match": '"old"'}).status == 412
    assert s.api.put(path, new_price, headers={"If-Match": etag}).status == 401
    assert error_fields(
        s.api.put(
            path, {"price": {"amount": "-1.00", "currency": "USD"}}, token=s.admin, headers={"If-Match": etag}
        )
    ) == ["price"]
    assert get(s, pid)["price"]["amount"] == "10.00"
    r = s.api.put(path, new_price, token=s.admin, headers={"If-Match": etag})
    assert r.status == 200 and r.json()["price"] == {"amount": "12.50", "currency": "USD"}
    history = s.api.get(f"/api/products/{pid}/prices").json()["items"]
    assert [p["price"]["amount"] for p in history] == ["10.00", "12.50"]


def test_archive(s: Shop) -> None:
    refs = s.create_refs()
    pid = s.create_product(refs).json()["id"]
    assert s.api.delete(f"/api/products/{pid}").status == 401
    assert s.api.delete(f"/api/products/{pid}", token=s.customer).status == 403
    assert get(s, pid)["status"] == "active"
    assert s.api.delete(f"/api/products/{pid}", token=s.admin).status == 204
    assert get(s, pid)["status"] == "archived"
    listed = s.api.get(f"/api/products?category={refs[0]}").json()["items"]
    assert pid not in [p["id"] for p in listed]
    assert s.api.delete("/api/products/missing", token=s.admin).status == 404


def test_listing_filters_and_continuation(s: Shop) -> None:
    refs = s.create_refs()
    other = s.create_refs()
    for i, amount in enumerate(["5.00", "15.00", "25.00", "35.00"]):
        s.create_product(refs, amount=amount, name=f"Lamp {i}")
    s.create_product(other, amount="15.00", name="Other brand lamp")
    r = s.api.get(f"/api/products?category={refs[0]}&minPrice=10&maxPrice=25.00")
    assert r.status == 200, r
    assert [p["name"] for p in r.json()["items"]] == ["Lamp 1", "Lamp 2"]
    assert [p["name"] for p in s.api.get(f"/api/products?brand={other[1]}").json()["items"]] == [
        "Other brand lamp"
    ]
    names: list[str] = []
    url = f"/api/products?category={refs[0]}&limit=3"
    page = s.api.get(url).json()
    names += [p["name"] for p in page["items"]]
    assert page["continuationToken"]
    page_one_token = page["continuationToken"]
    page = s.api.get(url + "&continuationToken=" + quote(page["continuationToken"])).json()
    names += [p["name"] for p in page["items"]]
    assert names == ["Lamp 0", "Lamp 1", "Lamp 2", "Lamp 3"] and page["continuationToken"] is None
    assert error_fields(s.api.get("/api/products?limit=500")) == ["limit"]
    assert error_fields(s.api.get("/api/products?minPrice=cheap")) == ["minPrice"]
    # A token this list did not issue (made up, or from other filters) is a 422, never a 500.
    assert error_fields(s.api.get(url + "&continuationToken=garbage")) == ["continuationToken"]
    foreign = f"/api/products?brand={other[1]}&limit=3&continuationToken=" + quote(page_one_token)
    assert error_fields(s.api.get(foreign)) == ["continuationToken"]


def test_images(s: Shop) -> None:
    pid = s.create_product(s.create_refs()).json()["id"]
    path = f"/api/products/{pid}/images"
    headers = {"Content-Type": "image/png"}
    assert s.api.request("POST", path, data=PNG, headers=headers).status == 401
    assert s.api.request("POST", path, data=PNG, headers=headers, token=s.customer).status == 403
    bad = s.api.request("POST", path, data=b"hello", headers={"Content-Type": "text/plain"}, token=s.admin)
    assert bad.status == 415
    assert get(s, pid)["images"] == []
    r = s.api.request("POST", path, data=PNG, headers=headers, token=s.admin)
    assert r.status == 201, r
    url = r.json()["url"]
    assert get(s, pid)["images"] == [url]
    image = s.api.get(url)
    assert image.status == 200 and image.body == PNG and image.content_type.startswith("image/png")
    assert s.api.get(f"/api/products/{pid}/images/{'0' * 32}").status == 404
    # A product id that tries to walk the blob namespace is a 404 too (it was a 500).
    assert s.api.get(f"/api/products/..%2F..%2Fx/images/{'0' * 32}").status == 404
    assert (
        s.api.request("POST", "/api/products/missing/images", data=PNG, headers=headers, token=s.admin).status
        == 404
    )


def test_categories_and_brands(s: Shop) -> None:
    for kind in ("categories", "brands"):
        name = unique(kind)
        assert s.api.post(f"/api/{kind}", {"name": name}).status == 401
        assert s.api.post(f"/api/{kind}", {"name": name}, token=s.customer).status == 403
        assert error_fields(s.api.post(f"/api/{kind}", {"name": ""}, token=s.admin)) == ["name"]
        r = s.api.post(f"/api/{kind}", {"name": name}, token=s.admin)
        assert r.status == 201 and r.json()["name"] == name and r.json()["id"]
        names: list[str] = []
        token = None
        for _ in range(50):
            url = f"/api/{kind}?limit=100" + (f"&continuationToken={quote(token)}" if token else "")
            page = s.api.get(url).json()
            names += [x["name"] for x in page["items"]]
            token = page["continuationToken"]
            if not token:
                break
        assert name in names
        assert error_fields(s.api.get(f"/api/{kind}?continuationToken=garbage")) == ["continuationToken"]
    assert error_fields(
        s.api.post("/api/categories", {"name": "Sub", "parentId": "nope"}, token=s.admin)
    ) == ["parentId"]


def test_fresh_devhost_seeds_a_demo_shop(start_devhost: StartDevhost) -> None:
    api = ApiClient(start_devhost(seed=True).url)

    def full_page() -> dict[str, Any] | None:
        page = api.get("/api/products?limit=100").json()
        return page if len(page["items"]) == 100 and page["continuationToken"] else None

    page = wait_for(full_page, timeout=90, interval=0.5, message="the demo catalog")
    product = page["items"][0]
    assert product["name"] and product["price"]["currency"] == "USD" and product["status"] == "active"
    assert len(api.get("/api/categories?limit=100").json()["items"]) >= 8
    assert len(api.get("/api/brands?limit=100").json()["items"]) >= 10
    with_variants = [p for p in page["items"] if p["variants"]]
    assert with_variants, "some demo products have variants"
    sku = with_variants[0]["variants"][0]["sku"]
    assert api.get(f"/api/inventory/{sku}").status == 200
