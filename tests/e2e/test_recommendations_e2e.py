"""Recommendations, interactions and experiments through devhost over HTTP (one devhost, no seed).

A small shop with two groups of products that the same shoppers buy together; the model is
trained by `POST /api/models/recommendations/retrain` on devhost's durable engine; then a new
shopper's interactions change their next response with no retraining, purchases (from the order
workflow's `OrderConfirmed`) and archived products never appear, and an A/B experiment assigns,
counts exposures and conversions, and reports its statistics.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.catalog_support import error_fields, problem_code
from tests.e2e.conftest import StartDevhost
from tests.e2e.helpers import ApiClient, unique, wait_for
from tests.e2e.orders_support import OrderShop, order_shop

pytestmark = pytest.mark.e2e
ENV = {
    "RECS_CATALOG_REFRESH_SECONDS": "0",  # archive and stock changes visible at once
    "RECS_HISTORY_CACHE_SECONDS": "0",
    "RECS_EXPERIMENT_CACHE_SECONDS": "0",
    "MODEL_REFRESH_SECONDS": "1",
}


class World:
    def __init__(self, o: OrderShop) -> None:
        self.o = o
        self.api = o.api
        refs = o.s.create_refs()
        self.category = refs[0]
        self.products: dict[str, dict[str, Any]] = {}
        # Groups a and b are bought together; c is filler (more items than the top-10 metrics need).
        for group, size in (("a", 4), ("b", 4), ("c", 6)):
            for n in range(size):
                doc = o.s.create_product(refs, name=f"Group {group} item {n} {unique('p')}").json()
                r = self.api.post(
                    f"/api/inventory/{doc['sku']}/adjustments", {"delta": 50, "reason": "e2e"}, token=o.admin
                )
                assert r.status == 200, r
                self.products[f"{group}{n}"] = doc

    def pid(self, key: str) -> str:
        return str(self.products[key]["id"])

    def interact(self, token: str, key: str, kind: str) -> None:
        r = self.api.post("/api/interactions", {"productId": self.pid(key), "type": kind}, token=token)
        assert r.status == 202, r

    def recs(self, token: str | None = None, **params: Any) -> dict[str, Any]:
        query = "&".join(f"{k}={v}" for k, v in params.items())
        r = self.api.get(f"/api/recommendations?{query}", token=token)
        assert r.status == 200, r
        return dict(r.json())


@pytest.fixture(scope="module")
def world(start_devhost_module: StartDevhost) -> World:
    dh = start_devhost_module(env=ENV)
    return World(order_shop(ApiClient(dh.url, timeout=30)))


def ids(response: dict[str, Any]) -> list[str]:
    return [i["productId"] for i in response["items"]]


def test_01_cold_start_without_a_model_is_popularity(world: World) -> None:
    out = world.recs(limit=5)
    assert out["strategy"] == "popular" and out["modelVersion"] is None and out["variant"] is None
    assert 0 < len(out["items"]) <= 5
    assert all(i["reason"] == "popular" for i in out["items"])


def test_02_bad_input_is_a_problem_and_changes_nothing(world: World) -> None:
    api, token = world.api, world.o.customer()
    for query in ("limit=0", "limit=101", "limit=ten", "productId=bad%20id"):
        r = api.get(f"/api/recommendations?{query}")
        assert r.status == 422 and problem_code(r) == "validation_failed", (query, r)
    r = api.get("/api/recommendations?productId=no-such-product")
    assert r.status == 422 and error_fields(r) == ["productId"]
    r = api.post("/api/interactions", {"productId": world.pid("a0"), "type": "like"}, token=token)
    assert r.status == 422 and error_fields(r) == ["type"]
    r = api.post("/api/interactions", {"productId": "no-such-product", "type": "view"}, token=token)
    assert r.status == 422 and error_fields(r) == ["productId"]
    r = api.request(
        "POST",
        "/api/interactions",
        data=b"{not json",
        token=token,
        headers={"Content-Type": "application/json"},
    )
    assert r.status == 400 and r.content_type.startswith("application/problem+json"), r
    assert api.post("/api/interactions", {"productId": world.pid("a0"), "type": "view"}).status == 401
    r = api.get("/api/me/interactions", token=token)
    assert r.status == 200 and r.json()["items"] == []  # none of the refused calls stored anything


def test_03_retrain_through_the_orchestration_and_serve_the_champion(world: World) -> None:
    for n in range(24):  # shoppers of group a and of group b, each buying within their group
        token = world.api.dev_token(f"shopper-{n}-{unique('s')}", roles=["customer"])
        group = "a" if n % 2 == 0 else "b"
        for m in range(4):
            if (n + m) % 4 != 3:  # each leaves one of the four out
                world.interact(token, f"{group}{m}", "purchase" if m % 2 else "click")
    admin = world.o.admin
    r = world.api.post("/api/models/recommendations/retrain", token=admin)
    assert r.status == 202, r
    path = r.json()["statusQueryGetUri"]  # an /api route checked with the caller's token
    assert path.startswith("/api/models/recommendations/retrain/") and "code=" not in path

    def finished() -> dict[str, Any] | None:
        doc = dict(world.api.get(path, token=admin).json())
        return doc if doc.get("runtimeStatus") in ("Completed", "Failed", "Terminated") else None

    done = wait_for(finished, timeout=180, interval=0.5, message="recommendations retraining")
    assert done["runtimeStatus"] == "Completed", done
    output = done["output"]
    assert output["evaluation"]["promoted"] is True and output["data"]["rows"] >= 48
    models = {m["name"]: m for m in world.api.get("/api/models", token=admin).json()["items"]}
    assert models["recommendations"]["liveVersion"] == output["version"]
    served = wait_for(
        lambda: (out := world.recs())["modelVersion"] == output["version"] and out,
        timeout=20,
        message="the promoted model serving",
    )
    assert served["strategy"] == "popular"  # anonymous: no history


def test_04_an_interaction_changes_the_next_response_without_retraining(world: World) -> None:
    token = world.o.customer()
    before = world.recs(token, limit=3)
    assert before["strategy"] == "popular"
    world.interact(token, "a0", "add_to_cart")
    after = world.recs(token, limit=3)
    assert after["strategy"] == "hybrid" and after["modelVersion"] == before["modelVersion"]
    assert set(ids(after)) <= {world.pid(k) for k in ("a1", "a2", "a3")}, after
    assert world.pid("a0") not in ids(after)  # what they already have in the cart is not repeated
    assert all(
        i["reason"] in ("customers also bought", f"similar to {world.products['a0']['name']}")
        or i["reason"].startswith("popular")
        for i in after["items"]
    )
    world.interact(token, "b0", "purchase")
    world.interact(token, "b1", "purchase")
    again = world.recs(token, limit=3)
    assert again["items"][0]["productId"] in {world.pid("b2"), world.pid("b3")}, again


def test_05_customers_also_bought_on_a_product_page(world: World) -> None:
    out = world.recs(productId=world.pid("a1"), limit=3)
    assert out["strategy"] == "also_bought"
    group = {world.pid(k) for k in ("a0", "a2", "a3")}
    bought_with = [i["productId"] for i in out["items"] if i["reason"] == "customers also bought"]
    assert len(bought_with) >= 2 and set(bought_with) <= group, out
    assert world.pid("a1") not in ids(out)  # never the page's own product


def test_06_purchases_from_orders_and_archived_products_never_appear(world: World) -> None:
    o = world.o
    customer = o.customer()
    world.interact(customer, "a0", "view")
    card = o.card(customer)
    r = o.place(customer, o.order_body(str(world.products["a1"]["sku"]), card))
    assert r.status == 202, r
    assert o.final(r.json()["orderId"], customer)["status"] == "confirmed"
    # OrderConfirmed reaches the recommendations subscription: the purchase is in the history.
    wait_for(
        lambda: any(
            i["source"] == "order" and i["productId"] == world.pid("a1")
            for i in world.api.get("/api/me/interactions", token=customer).json()["items"]
        ),
        timeout=20,
        message="the order's purchase in the history",
    )
    r = world.api.delete(f"/api/products/{world.pid('a2')}", token=o.admin)
    assert r.status == 204, r
    for out in (
        world.recs(customer, limit=20),
        world.recs(customer, productId=world.pid("a0"), limit=20),
        world.recs(limit=20),
    ):
        assert world.pid("a2") not in ids(out), out
    assert world.pid("a1") not in ids(world.recs(customer, limit=20))
    assert world.pid("a1") not in ids(world.recs(customer, productId=world.pid("a0"), limit=20))


def test_07_experiment_lifecycle_assignment_and_results(world: World) -> None:
    api, admin = world.api, world.o.admin
    name = unique("exp").lower()
    body: dict[str, Any] = {
        "name": name,
        "target": "recommendations",
        "variants": [
            {"name": "control", "weight": 1, "config": {"strategy": "hybrid"}},
            {"name": "popular", "weight": 1, "config": {"strategy": "popular"}},
        ],
    }
    assert api.post("/api/experiments", body, token=world.o.customer()).status == 403
    assert api.post("/api/experiments", body).status == 401
    no_control = {**body, "variants": [{**v, "name": f"v{n}"} for n, v in enumerate(body["variants"])]}
    assert api.post("/api/experiments", no_control, token=admin).status == 422
    r = api.post("/api/experiments", body, token=admin)
    assert r.status == 201 and r.json()["status"] == "running", r
    assert r.header("Location") == f"/api/experiments/{name}"
    assert problem_code(api.post("/api/experiments", body, token=admin)) == "experiment_running"

    variants: dict[str, str] = {}
    for n in range(12):
        token = world.o.customer()
        world.interact(token, "b0", "view")
        out = world.recs(token, limit=3)
        assert out["variant"] in ("control", "popular")
        assert out["strategy"] == ("popular" if out["variant"] == "popular" else "hybrid"), out
        assert world.recs(token, limit=3)["variant"] == out["variant"]  # sticky
        variants[token] = out["variant"]
        if n % 3 == 0:
            world.interact(token, "b1", "click")
    anon = api.get("/api/recommendations", headers={"x-client-id": "anon-client-1"}).json()
    assert anon["variant"] in ("control", "popular")
    cookie = api.get("/api/recommendations", headers={"Cookie": "sc_client_id=anon-client-1"}).json()
    assert cookie["variant"] == anon["variant"]

    r = api.get(f"/api/experiments/{name}", token=admin)
    assert r.status == 200, r
    result = r.json()
    by_name = {v["name"]: v for v in result["variants"]}
    assert sum(v["exposures"] for v in result["variants"]) == 13
    assert sum(v["conversions"] for v in result["variants"]) == 4
    assert by_name["control"]["lift"] is None
    assert set(result["srm"]) == {"chi2", "pValue", "ok"}
    assert api.get(f"/api/experiments/{name}", token=world.o.customer()).status == 403
    assert api.get("/api/experiments/no-such-experiment", token=admin).status == 404

    r = api.post(f"/api/experiments/{name}/stop", token=admin)
    assert r.status == 200 and r.json()["status"] == "stopped", r
    assert api.post(f"/api/experiments/{name}/stop", token=admin).status == 200  # idempotent
    assert world.recs(next(iter(variants)), limit=3)["variant"] is None
    assert api.get(f"/api/experiments/{name}", token=admin).json()["status"] == "stopped"
    assert api.post("/api/experiments", body, token=admin).status == 409  # names are not reused


def test_08_history_is_the_users_own_and_erasable(world: World) -> None:
    api = world.api
    alice, bob = world.o.customer(), world.o.customer()
    world.interact(alice, "b2", "view")
    world.interact(alice, "b3", "click")
    mine = api.get("/api/me/interactions", token=alice).json()["items"]
    assert [(i["productId"], i["type"]) for i in mine] == [
        (world.pid("b3"), "click"),
        (world.pid("b2"), "view"),
    ]
    assert api.get("/api/me/interactions", token=bob).json()["items"] == []
    assert api.get("/api/me/interactions").status == 401
    assert api.delete("/api/me/interactions", token=alice).status == 204
    assert api.get("/api/me/interactions", token=alice).json()["items"] == []
    assert world.recs(alice)["strategy"] == "popular"


def test_09_account_deletion_erases_history_and_exposures_and_keeps_orders(world: World) -> None:
    api, o = world.api, world.o
    customer = o.customer()
    address = {"line1": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
    assert api.post("/api/me/addresses", address, token=customer).status == 201
    card = o.card(customer)
    r = o.place(customer, o.order_body(str(world.products["c0"]["sku"]), card))
    assert r.status == 202, r
    order_id = r.json()["orderId"]
    assert o.final(order_id, customer)["status"] == "confirmed"
    wait_for(  # the order's purchase (OrderConfirmed) is in the history before the deletion
        lambda: any(
            i["source"] == "order" for i in api.get("/api/me/interactions", token=customer).json()["items"]
        ),
        timeout=20,
        message="the order's purchase in the history",
    )
    world.interact(customer, "a0", "add_to_cart")
    world.interact(customer, "a1", "click")
    assert world.recs(customer, limit=3)["strategy"] == "hybrid"
    name = unique("erase").lower()
    body = {
        "name": name,
        "target": "recommendations",
        "variants": [
            {"name": "control", "weight": 1, "config": {"strategy": "hybrid"}},
            {"name": "other", "weight": 1, "config": {"strategy": "hybrid"}},
        ],
    }
    assert api.post("/api/experiments", body, token=o.admin).status == 201
    try:
        assert world.recs(customer, limit=3)["variant"] in ("control", "other")

        def exposures() -> int:
            result = api.get(f"/api/experiments/{name}", token=o.admin).json()
            return sum(v["exposures"] for v in result["variants"])

        assert exposures() == 1
        assert api.delete("/api/me").status == 401
        r = api.delete("/api/me", token=customer)
        assert r.status == 204 and r.body == b"", r
        assert exposures() == 0  # the experiment membership went with the account
        assert api.get("/api/me/interactions", token=customer).json()["items"] == []
        after = world.recs(customer, limit=3)
        assert after["strategy"] == "popular" and after["modelVersion"] is not None, after
        assert all(i["reason"].startswith("popular") for i in after["items"])
    finally:
        assert api.post(f"/api/experiments/{name}/stop", token=o.admin).status == 200
    # The profile is gone; the still-valid token's next request provisions a fresh, empty one.
    profile = api.get("/api/me", token=customer).json()
    assert profile["addresses"] == [] and profile["phone"] is None
    # Orders are financial records: kept, still the customer's.
    assert o.order(order_id, customer)["status"] == "confirmed"
    assert api.delete("/api/me", token=customer).status == 204  # idempotent
