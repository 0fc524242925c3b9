"""Issue 17, input and side-effect points owned here, over devhost HTTP: a refused product leaves no
inventory behind (10), preferences are a full document on PUT and a merge on PATCH with known
category ids only and no control characters anywhere (11), ISO 4217 currencies and no zero prices
unless a product allows them (7).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.e2e.catalog_support import Shop, error_fields, problem_code, shop
from tests.e2e.conftest import DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, unique

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def dh(start_devhost_module: StartDevhost) -> Iterator[DevhostProcess]:
    yield start_devhost_module()


@pytest.fixture(scope="module")
def api(dh: DevhostProcess) -> ApiClient:
    return ApiClient(dh.url)


@pytest.fixture(scope="module")
def s(api: ApiClient) -> Shop:
    return shop(api)


# --- point 10: a failed POST /products leaves nothing behind ---------------------------------------


def test_a_product_refused_for_a_taken_sku_leaves_no_inventory_records(s: Shop) -> None:
    refs = s.create_refs()
    taken = s.create_product(refs).json()["sku"]
    fresh, other = unique("FRESH"), unique("OTHER")
    body = s.product_body(
        refs,
        sku=fresh,
        variants=[
            {"sku": other, "attributes": {"size": "S"}},
            {"sku": taken, "attributes": {"size": "M"}},
        ],
    )
    r = s.api.post("/api/products", body, token=s.admin)
    assert r.status == 409 and problem_code(r) == "sku_taken", r
    for sku in (fresh, other):
        assert s.api.get(f"/api/inventory/{sku}", token=s.admin).status == 404, sku
    # The skus are free for the next product, and the taken one still belongs to its owner.
    ok = s.api.post("/api/products", s.product_body(refs, sku=fresh), token=s.admin)
    assert ok.status == 201, ok
    assert s.api.get(f"/api/inventory/{fresh}", token=s.admin).status == 200
    assert s.api.get(f"/api/inventory/{taken}", token=s.admin).status == 200


def test_an_update_refused_for_a_taken_sku_leaves_no_inventory_records(s: Shop) -> None:
    refs = s.create_refs()
    taken = s.create_product(refs).json()["sku"]
    product = s.create_product(refs)
    etag = product.header("ETag")
    current = product.json()
    fresh = unique("FRESH")
    body = s.product_body(
        refs,
        sku=current["sku"],
        name=current["name"],
        variants=[{"sku": fresh, "attributes": {"size": "S"}}, {"sku": taken, "attributes": {"size": "M"}}],
    )
    r = s.api.put(f"/api/products/{current['id']}", body, token=s.admin, headers={"If-Match": etag or ""})
    assert r.status == 409 and problem_code(r) == "sku_taken", r
    assert s.api.get(f"/api/inventory/{fresh}", token=s.admin).status == 404


# --- point 11: preferences and control characters --------------------------------------------------

FULL = {
    "channels": {"email": True, "sms": True, "push": True},
    "favoriteCategories": [],
    "marketingOptIn": False,
}


def _prefs(api: ApiClient, token: str) -> dict[str, object]:
    r = api.get("/api/me", token=token)
    assert r.status == 200, r
    return dict(r.json()["preferences"])


def test_put_preferences_is_a_whole_document_and_patch_merges(s: Shop) -> None:
    category = s.api.post("/api/categories", {"name": unique("Category")}, token=s.admin).json()["id"]
    token = s.api.dev_token(unique("cust"), roles=["customer"])
    mine = {
        "channels": {"email": False, "sms": True, "push": False},
        "favoriteCategories": [category],
        "marketingOptIn": True,
    }
    assert s.api.put("/api/me/preferences", mine, token=token).json() == mine

    # A partial PUT no longer resets what it leaves out: it is refused and changes nothing.
    partial = s.api.put("/api/me/preferences", {"channels": {"sms": False}}, token=token)
    assert sorted(error_fields(partial)) == [
        "channels.email",
        "channels.push",
        "favoriteCategories",
        "marketingOptIn",
    ]
    assert _prefs(s.api, token) == mine

    # PATCH changes exactly what it names.
    r = s.api.patch("/api/me/preferences", {"channels": {"sms": False}}, token=token)
    assert r.status == 200, r
    expected = {**mine, "channels": {"email": False, "sms": False, "push": False}}
    assert r.json() == expected and _prefs(s.api, token) == expected
    r = s.api.patch("/api/me/preferences", {"marketingOptIn": False}, token=token)
    assert r.json() == {**expected, "marketingOptIn": False}
    assert error_fields(s.api.patch("/api/me/preferences", {"channels": None}, token=token)) == ["channels"]


def test_favorite_categories_must_exist(s: Shop) -> None:
    token = s.api.dev_token(unique("cust"), roles=["customer"])
    real = s.api.post("/api/categories", {"name": unique("Category")}, token=s.admin).json()["id"]
    body = {**FULL, "favoriteCategories": [real, "no-such-category"]}
    assert error_fields(s.api.put("/api/me/preferences", body, token=token)) == ["favoriteCategories[1]"]
    patch = {"favoriteCategories": ["no-such-category"]}
    assert error_fields(s.api.patch("/api/me/preferences", patch, token=token)) == ["favoriteCategories[0]"]
    assert _prefs(s.api, token)["favoriteCategories"] == []
    assert s.api.patch("/api/me/preferences", {"favoriteCategories": [real]}, token=token).status == 200


@pytest.mark.parametrize("bad", ["\u0000", "\u0007", "\u001b[31m", "\u007f", "\u0085"])
def test_control_characters_are_refused_in_every_text_field(s: Shop, bad: str) -> None:
    token = s.api.dev_token(unique("cust"), roles=["customer"])
    name_before = s.api.get("/api/me", token=token).json()["displayName"]
    r = s.api.patch("/api/me", {"displayName": f"Eve{bad}Admin"}, token=token)
    assert error_fields(r) == ["displayName"] and problem_code(r) == "validation_failed"
    address = {"line1": f"1 Main{bad}St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    assert error_fields(s.api.post("/api/me/addresses", address, token=token)) == ["line1"]
    prefs = {**FULL, "favoriteCategories": [f"c{bad}"]}
    assert error_fields(s.api.put("/api/me/preferences", prefs, token=token)) == ["favoriteCategories[0]"]
    me = s.api.get("/api/me", token=token).json()
    assert me["displayName"] == name_before and me["addresses"] == []

    refs = s.create_refs()
    sku = unique("SKU")
    body = s.product_body(refs, sku=sku, description=f"nice{bad}", attributes={f"k{bad}": "v"})
    assert sorted(error_fields(s.api.post("/api/products", body, token=s.admin))) == [
        "attributes",
        "description",
    ]
    assert s.api.get(f"/api/inventory/{sku}", token=s.admin).status == 404
    category = s.api.post("/api/categories", {"name": f"Cat{bad}"}, token=s.admin)
    assert error_fields(category) == ["name"]
    # Query strings too (percent-encoded).
    encoded = "".join(f"%{b:02X}" for b in bad.encode())
    assert error_fields(s.api.get(f"/api/products?brand=x{encoded}")) == ["brand"]


def test_tab_and_newlines_stay_allowed_in_multi_line_text(s: Shop) -> None:
    refs = s.create_refs()
    r = s.api.post(
        "/api/products", s.product_body(refs, description="line 1\nline 2\r\n\tindented"), token=s.admin
    )
    assert r.status == 201, r
    assert r.json()["description"] == "line 1\nline 2\r\n\tindented"


# --- point 7: ISO 4217 currencies, no zero prices unless allowed, no zero-priced order -------------


@pytest.mark.parametrize("currency", ["ABC", "XXX", "XTS", "CHE", "XAU", "HRK"])
def test_a_price_in_a_code_that_is_no_active_currency_is_refused(s: Shop, currency: str) -> None:
    refs = s.create_refs()
    sku = unique("SKU")
    body = s.product_body(refs, sku=sku)
    body["price"] = {"amount": "10.00", "currency": currency}
    r = s.api.post("/api/products", body, token=s.admin)
    assert error_fields(r) == ["price"], r
    assert currency in r.json()["errors"][0]["message"]
    assert s.api.get(f"/api/inventory/{sku}", token=s.admin).status == 404
    # Wherever Money comes in: a fraud score's amount as well.
    score = {"orderId": unique("ord"), "customerId": "c1", "amount": {"amount": "5.00", "currency": currency}}
    assert "amount" in error_fields(s.api.post("/api/fraud/score", score, token=s.admin))


def test_currencies_with_other_minor_units_are_accepted(s: Shop) -> None:
    refs = s.create_refs()
    for price in ({"amount": "1500", "currency": "JPY"}, {"amount": "1.250", "currency": "KWD"}):
        r = s.api.post("/api/products", {**s.product_body(refs), "price": price}, token=s.admin)
        assert r.status == 201 and r.json()["price"] == price, r
    too_fine = {**s.product_body(refs), "price": {"amount": "1500.5", "currency": "JPY"}}
    assert error_fields(s.api.post("/api/products", too_fine, token=s.admin)) == ["price"]


def test_zero_prices_need_allow_zero_price(s: Shop) -> None:
    refs = s.create_refs()
    r = s.api.post("/api/products", s.product_body(refs, amount="0.00"), token=s.admin)
    assert error_fields(r) == ["price"] and problem_code(r) == "zero_price"
    variant = s.product_body(
        refs, variants=[{"sku": unique("V"), "price": {"amount": "0", "currency": "USD"}}]
    )
    assert error_fields(s.api.post("/api/products", variant, token=s.admin)) == ["variants[0].price"]

    paid = s.create_product(refs)
    path = f"/api/products/{paid.json()['id']}/price"
    zero = {"price": {"amount": "0.00", "currency": "USD"}}
    r = s.api.put(path, zero, token=s.admin, headers={"If-Match": paid.header("ETag") or ""})
    assert error_fields(r) == ["price"] and problem_code(r) == "zero_price"
    assert s.api.get(f"/api/products/{paid.json()['id']}").json()["price"]["amount"] == "19.99"

    free = s.api.post(
        "/api/products", s.product_body(refs, amount="0.00", allowZeroPrice=True), token=s.admin
    )
    assert free.status == 201, free
    assert free.json()["allowZeroPrice"] is True and free.json()["price"]["amount"] == "0.00"


def test_an_order_with_a_zero_total_is_refused_and_reserves_nothing(s: Shop) -> None:
    refs = s.create_refs()
    sku = s.create_product(refs, amount="0.00", allowZeroPrice=True).json()["sku"]
    r = s.api.post(f"/api/inventory/{sku}/adjustments", {"delta": 5, "reason": "e2e"}, token=s.admin)
    assert r.status == 200, r
    customer = s.api.dev_token(unique("cust"), roles=["customer"])
    card = {
        "cardNumber": "4242424242424242",
        "expMonth": 12,
        "expYear": 2031,
        "cvc": "123",
        "holderName": "E2E",
    }
    token = s.api.post("/api/payments/tokens", card, token=customer).json()["token"]
    order = {
        "items": [{"sku": sku, "quantity": 2}],
        "shippingAddress": {
            "line1": "1 Main St",
            "city": "Springfield",
            "postalCode": "12345",
            "country": "US",
        },
        "paymentToken": token,
    }
    r = s.api.post("/api/orders", order, token=customer)
    assert r.status == 422 and problem_code(r) == "zero_total", r
    assert s.api.get("/api/orders", token=customer).json()["items"] == []
    assert s.api.get(f"/api/inventory/{sku}", token=s.admin).json()["reserved"] == 0
