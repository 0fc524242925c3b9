"""Pricing and inventory analytics through devhost over HTTP (API.md: pricing, inventory analytics,
sales import), on the real durable engine, local bus and SQLite store:

sales import (422 lists bad rows, nothing stored) -> sku costs (admin only, never public) ->
`POST /api/models/demand/retrain` (the retraining orchestration trains the ONNX demand model from
the imported history) -> `GET /api/pricing/{id}/recommendation` -> the proposal timer -> approve
(applied through the catalog: price history), reject, and a proposal nobody decides on expiring
with the price unchanged -> the forecast refresh orchestration -> forecasts, reorder
recommendations and the admins' ReorderRecommended notification -> a real order's
OrderConfirmed counted in the sales history by the `sales` subscription.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from models.synthetic_sales import generate_sales
from tests.e2e.catalog_support import Shop, problem_code, shop
from tests.e2e.conftest import DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, HttpResult, unique, wait_for
from tests.e2e.orders_support import OrderShop

pytestmark = pytest.mark.e2e
APPROVAL_TIMEOUT = 40
N_PRODUCTS = 4


@pytest.fixture(scope="module")
def devhost(start_devhost_module: StartDevhost) -> Iterator[DevhostProcess]:
    yield start_devhost_module(
        env={
            "PRICING_APPROVAL_THRESHOLD": "0",  # every change waits for an admin
            "PRICING_APPROVAL_TIMEOUT_SECONDS": str(APPROVAL_TIMEOUT),
            "PRICING_PROPOSAL_SCHEDULE": "*/2 * * * * *",
            "NOTIFY_EMAIL_CHANNEL": "sink",
            "MODEL_REFRESH_SECONDS": "1",
        }
    )


class World:
    def __init__(self, api: ApiClient) -> None:
        self.s: Shop = shop(api)
        self.api = api
        # The admin's profile exists (JIT on first request), so admin notifications reach it.
        assert api.get("/api/me", token=self.s.admin).status == 200
        days = 365
        start = datetime.now(UTC).date() - timedelta(days=days)
        self.history = generate_sales(
            n_skus=N_PRODUCTS, days=days, seed=21, start=start, intermittent_share=0.0, new_share=0.0
        )
        refs = self.s.create_refs()
        self.products: list[dict[str, Any]] = []
        for synthetic in self.history.skus:
            last = float(self.history.list_price[self.history.sku == synthetic][-1])
            product = self.s.create_product(refs, amount=f"{last:.2f}").json()
            r = api.post(
                f"/api/inventory/{product['sku']}/adjustments",
                {"delta": 3, "reason": "e2e"},
                token=self.s.admin,
            )
            assert r.status == 200, r
            product["truth"] = self.history.truth[synthetic]
            product["synthetic"] = synthetic
            self.products.append(product)

    @property
    def admin(self) -> str:
        return self.s.admin

    def csv(self) -> bytes:
        by_sku = {p["synthetic"]: p["sku"] for p in self.products}
        lines = ["sku,date,units,price,promo"]
        lines += [
            f"{by_sku[r['sku']]},{r['date']},{r['units']},{r['price']},{r['promo']}"
            for r in self.history.rows()
        ]
        return ("\n".join(lines) + "\n").encode()

    def run_orchestration(self, path: str, timeout: float = 240) -> dict[str, Any]:
        r = self.api.post(path, token=self.admin)
        assert r.status == 202, r
        status = r.json()["statusQueryGetUri"]  # an /api route checked with the caller's token
        assert status.startswith("/api/") and "code=" not in status

        def finished() -> dict[str, Any] | None:
            doc = dict(self.api.get(status, token=self.admin).json())
            return doc if doc.get("runtimeStatus") in ("Completed", "Failed", "Terminated") else None

        done = wait_for(finished, timeout=timeout, interval=1.0, message=path)
        assert done["runtimeStatus"] == "Completed", done
        return done

    def proposals(self, status: str | None = None) -> list[dict[str, Any]]:
        query = f"?limit=100&status={status}" if status else "?limit=100"
        r = self.api.get(f"/api/pricing/proposals{query}", token=self.admin)
        assert r.status == 200, r
        mine = {p["id"] for p in self.products}
        return [p for p in r.json()["items"] if p["productId"] in mine]

    def price(self, product_id: str) -> dict[str, Any]:
        return dict(self.api.get(f"/api/products/{product_id}").json()["price"])


@pytest.fixture(scope="module")
def w(devhost: DevhostProcess) -> World:
    return World(ApiClient(devhost.url, timeout=60))


def test_routes_are_admin_only(w: World) -> None:
    product = w.products[0]
    routes = [
        ("GET", f"/api/pricing/{product['id']}/recommendation"),
        ("GET", "/api/pricing/proposals"),
        ("POST", "/api/pricing/proposals/pp-x/approve"),
        ("POST", "/api/pricing/proposals/pp-x/reject"),
        ("GET", f"/api/pricing/skus/{product['sku']}"),
        ("GET", f"/api/inventory/{product['sku']}/forecast"),
        ("GET", "/api/inventory/reorder-recommendations"),
        ("POST", "/api/inventory/forecasts/refresh"),
        ("POST", "/api/sales/import"),
        ("GET", f"/api/sales/{product['sku']}/daily"),
    ]
    for method, path in routes:
        assert w.api.request(method, path).status == 401, path
        assert w.api.request(method, path, token=w.s.customer).status == 403, path
    r = w.api.get("/api/pricing/nope/recommendation", token=w.admin)
    assert r.status == 404, r
    r = w.api.get(f"/api/pricing/{product['id']}/recommendation", token=w.admin)
    assert r.status == 409 and problem_code(r) == "no_demand_model", r
    r = w.api.get(f"/api/inventory/{product['sku']}/forecast", token=w.admin)
    assert r.status == 404 and problem_code(r) == "forecast_not_ready", r
    assert w.api.post("/api/pricing/proposals/pp-nope/approve", token=w.admin).status == 404
    # The inventory levels route still answers for a sku (the literal route does not shadow it).
    assert w.api.get(f"/api/inventory/{product['sku']}").status == 200


def test_cost_is_admin_only_and_never_public(w: World) -> None:
    for p in w.products:
        cost = f"{p['truth'].cost:.2f}"
        r = w.api.put(
            f"/api/pricing/skus/{p['sku']}", {"cost": {"amount": cost, "currency": "USD"}}, token=w.admin
        )
        assert r.status == 200 and r.json()["cost"]["amount"] == cost, r
    p = w.products[0]
    assert (
        w.api.get(f"/api/pricing/skus/{p['sku']}", token=w.admin).json()["cost"]["amount"]
        == f"{p['truth'].cost:.2f}"
    )
    r = w.api.put(
        f"/api/pricing/skus/{p['sku']}", {"cost": {"amount": "1.00", "currency": "EUR"}}, token=w.admin
    )
    assert r.status == 422, r
    r = w.api.put(
        "/api/pricing/skus/NOPE-404", {"cost": {"amount": "1.00", "currency": "USD"}}, token=w.admin
    )
    assert r.status == 404, r
    public = [w.api.get(f"/api/products/{p['id']}"), w.api.get("/api/products?limit=100")]
    for r in public:
        assert r.status == 200 and "cost" not in r.text.lower(), r


def test_sales_import_refuses_bad_rows_then_imports(w: World) -> None:
    sku = w.products[0]["sku"]
    bad = (
        f"sku,date,units,price,promo\n{sku},2025-01-01,2,9.99,0\n{sku},2025-01-02,-3,9.99,0\n"
        "NOPE-1,2025-01-03,1,1,0\n"
    )
    r = w.api.post(
        "/api/sales/import", data=bad.encode(), headers={"Content-Type": "text/csv"}, token=w.admin
    )
    assert r.status == 422, r
    assert [e["field"] for e in r.json()["errors"]] == ["rows[1].units", "rows[2].sku"]
    assert w.api.get(f"/api/sales/{sku}/daily", token=w.admin).json()["days"] == []  # nothing stored
    r = w.api.post(
        "/api/sales/import",
        data=b"{not json",
        headers={"Content-Type": "application/x-ndjson"},
        token=w.admin,
    )
    assert r.status == 422, r
    r = w.api.post("/api/sales/import", data=w.csv(), headers={"Content-Type": "text/csv"}, token=w.admin)
    assert r.status == 202, r
    assert r.json()["skus"] == N_PRODUCTS and r.json()["imported"] == len(w.history.rows())
    days = w.api.get(f"/api/sales/{sku}/daily", token=w.admin).json()["days"]
    assert len(days) == 365 and all(d["price"] for d in days)


def test_retrain_then_recommend_within_guardrails(w: World) -> None:
    done = w.run_orchestration("/api/models/demand/retrain")
    version = done["output"]["version"]
    assert done["output"]["evaluation"]["promoted"] is True
    models = {m["name"]: m for m in w.api.get("/api/models", token=w.admin).json()["items"]}
    assert models["demand"]["liveVersion"] == version
    for p in w.products:

        def ready(p: dict[str, Any] = p) -> HttpResult | None:
            x = w.api.get(f"/api/pricing/{p['id']}/recommendation", token=w.admin)
            return x if x.status == 200 else None

        r = wait_for(ready, timeout=30, message="a recommendation from the new model")
        rec = r.json()
        assert set(rec) >= {
            "currentPrice",
            "recommendedPrice",
            "expectedUnits",
            "expectedProfit",
            "elasticity",
            "bounds",
            "modelVersion",
        }
        assert rec["modelVersion"] == version and rec["currentPrice"] == p["price"]
        current, price = float(rec["currentPrice"]["amount"]), float(rec["recommendedPrice"]["amount"])
        assert abs(price - current) <= 0.10 * current + 0.01
        assert (price - p["truth"].cost) / price >= 0.10 - 1e-3
        assert (
            rec["elasticity"] < 0
            and rec["elasticityInterval"]["lower"] <= rec["elasticity"] <= rec["elasticityInterval"]["upper"]
        )
        assert float(rec["bounds"]["lower"]["amount"]) <= price <= float(rec["bounds"]["upper"]["amount"])


def test_proposals_approve_reject_and_expire(w: World) -> None:
    def three_pending() -> list[dict[str, Any]] | None:
        items = w.proposals("pending")
        return items if len({p["productId"] for p in items}) >= 3 else None

    pending = wait_for(
        three_pending,
        timeout=60,
        interval=1.0,
        message="the nightly timer's proposals",
    )
    by_product = {p["productId"]: p for p in pending}
    approve, reject, expire = list(by_product.values())[:3]
    before = {pid: w.price(pid) for pid in by_product}

    r = w.api.post(f"/api/pricing/proposals/{approve['id']}/approve", {"note": "looks right"}, token=w.admin)
    assert r.status == 200 and r.json()["status"] in ("approved", "applied"), r
    r = w.api.post(f"/api/pricing/proposals/{reject['id']}/reject", token=w.admin)
    assert r.status == 200 and r.json()["status"] == "rejected", r
    assert w.api.post(f"/api/pricing/proposals/{reject['id']}/approve", token=w.admin).status == 409

    applied = wait_for(
        lambda: next((p for p in w.proposals("applied") if p["id"] == approve["id"]), None),
        timeout=30,
        message="the approved proposal applied",
    )
    assert w.price(approve["productId"]) == applied["proposedPrice"] != before[approve["productId"]]
    history = w.api.get(f"/api/products/{approve['productId']}/prices").json()["items"]
    assert [h["price"] for h in history][-2:] == [before[approve["productId"]], applied["proposedPrice"]]
    assert w.price(reject["productId"]) == before[reject["productId"]]

    expired = wait_for(
        lambda: next((p for p in w.proposals("expired") if p["id"] == expire["id"]), None),
        timeout=APPROVAL_TIMEOUT + 60,
        interval=1.0,
        message="the undecided proposal expiring",
    )
    assert expired["status"] == "expired"
    assert w.price(expire["productId"]) == before[expire["productId"]]  # the timeout changed nothing
    assert w.api.post(f"/api/pricing/proposals/{expire['id']}/approve", token=w.admin).status == 409
    assert w.price(expire["productId"]) == before[expire["productId"]]


def test_forecast_refresh_reorder_advice_and_admin_notification(w: World) -> None:
    done = w.run_orchestration("/api/inventory/forecasts/refresh", timeout=400)
    assert done["output"]["outcomes"].get("refreshed", 0) >= N_PRODUCTS
    for p in w.products:
        r = w.api.get(f"/api/inventory/{p['sku']}/forecast", token=w.admin)
        assert r.status == 200, r
        fc = r.json()
        assert fc["sku"] == p["sku"] and fc["horizonDays"] == len(fc["daily"]) == 28
        assert fc["reorderPoint"] > fc["safetyStock"] > 0 and fc["modelVersion"]
    r = w.api.get("/api/inventory/reorder-recommendations?limit=100", token=w.admin)
    assert r.status == 200, r
    listed = {i["sku"]: i for i in r.json()["items"]}
    for p in w.products:  # 3 on hand against several units a day
        assert p["sku"] in listed and listed[p["sku"]]["available"] <= listed[p["sku"]]["reorderPoint"]
        assert listed[p["sku"]]["recommendedOrderQuantity"] > 0

    def reorder_notes() -> list[dict[str, Any]]:
        items = w.api.get("/api/me/notifications?limit=100", token=w.admin).json()["items"]
        return [n for n in items if n["template"] == "reorder-recommended"]

    def all_notes() -> list[dict[str, Any]] | None:
        found = reorder_notes()
        return found if len(found) >= N_PRODUCTS else None

    notes = wait_for(all_notes, timeout=30, message="admin notes")
    assert all(n["channel"] in ("email", "sms", "push") for n in notes)


def test_a_confirmed_order_lands_in_the_sales_history(w: World) -> None:
    o = OrderShop(w.s, w.api.dev_token(unique("support"), roles=["support"]))
    sku = w.products[1]["sku"]
    customer = o.customer()
    today = datetime.now(UTC).date().isoformat()

    def today_units() -> int:
        days = w.api.get(f"/api/sales/{sku}/daily", token=w.admin).json()["days"]
        return sum(d["units"] for d in days if d["date"] == today)

    before = today_units()
    order_id = o.place(customer, o.order_body(sku, o.card(customer), quantity=2)).json()["orderId"]
    assert o.final(order_id, customer, timeout=60)["status"] == "confirmed"
    wait_for(lambda: today_units() == before + 2, timeout=30, message="the order in the sales history")


def test_the_seeded_demo_shop_prices_and_forecasts_from_the_start(start_devhost: StartDevhost) -> None:
    dh = start_devhost(seed=True)
    api = ApiClient(dh.url, timeout=60)
    wait_for(
        lambda: api.get("/runtime/devhost/status").json()["seeded"],
        timeout=400,
        interval=1.0,
        message="seeding (catalog, fraud model, a year of sales, demand model, forecasts)",
    )
    truth = json.loads((dh.data_dir / "demo_sales_truth.json").read_text())
    assert len(truth) == 24
    admin = api.dev_token(unique("admin"), roles=["admin"])
    errors = []
    for sku, t in sorted(truth.items()):
        r = api.get(f"/api/pricing/{t['productId']}/recommendation", token=admin)
        assert r.status == 200, r
        assert r.json()["elasticity"] < 0
        errors.append(abs(r.json()["elasticity"] - t["elasticity"]))
        assert api.get(f"/api/pricing/skus/{sku}", token=admin).json()["cost"]["currency"] == "USD"
    assert sum(errors) / len(errors) < 0.6, errors
    first = sorted(truth)[0]
    r = api.get(f"/api/inventory/{first}/forecast", token=admin)
    assert r.status == 200 and len(r.json()["daily"]) == 28, r
    days = api.get(f"/api/sales/{first}/daily", token=admin).json()["days"]
    assert len(days) >= 365
