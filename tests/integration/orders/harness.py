"""The order context over real parts in one process: SQLite store and bus in a temp data dir, the
rules fraud scorer, the sandbox providers, and devhost's durable engine running the real workflow."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

import azure.durable_functions as df
import azure.functions as func

from devhost.durable import registry
from devhost.durable.engine import Engine
from devhost.index import FunctionIndex
from orchestrations import order_activities, order_workflow
from shared.adapters.local_publisher import LocalBusPublisher
from shared.adapters.localbus import LocalBus, load_topology
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.catalog import taxonomy
from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductCreate
from shared.catalog.service import create_product
from shared.composition import build_payment_service
from shared.fraud.ports import Thresholds
from shared.fraud.rules import RulesScorer
from shared.http.auth import Principal
from shared.inventory.repository import InventoryRepository
from shared.inventory.service import adjust_stock, get_stock
from shared.kernel.money import Money
from shared.orders.deps import OrderDeps
from shared.orders.schemas import PlaceOrder
from shared.orders.service import place_order
from shared.orders.stream import OrderStream
from shared.settings import Settings

_app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
_app.register_functions(order_workflow.bp)
_app.register_functions(order_activities.bp)
ORCHESTRATORS, ACTIVITIES = registry.build(FunctionIndex.from_app(_app))
T = TypeVar("T")

CUSTOMER = Principal(sub="cust-1", roles=("customer",), email="ada@example.com")
ADDRESS = {"line1": "1 Main St", "city": "Springfield", "postalCode": "12345", "country": "US"}
APPROVED, DECLINED, NO_FUNDS = "4242424242424242", "4000000000000002", "4000000000009995"
PROCESSING_ERROR, HIGHEST, BLOCKED = "4000000000000119", "4000000000004954", "4100000000000019"


def build_deps(settings: Settings, data: Path, review_timeout: int = 86400) -> OrderDeps:
    store = SqliteDocumentStore(data / "documents.db")
    return OrderDeps(
        store=store,
        stream=OrderStream(store),
        payments=build_payment_service(store, settings, backoff_seconds=0.001),
        scorer=RulesScorer(Thresholds()),
        publisher=LocalBusPublisher(LocalBus(data / "bus.db", load_topology())),
        review_timeout_seconds=review_timeout,
        reservation_ttl_seconds=900,
    )


def seed_product(deps: OrderDeps, sku: str, price: str = "20.00", on_hand: int = 10) -> str:
    category = taxonomy.create_category(store=deps.store, data=CategoryCreate(name=f"cat {sku}"))
    brand = taxonomy.create_brand(store=deps.store, data=BrandCreate(name=f"brand {sku}"))
    data = ProductCreate(
        sku=sku,
        name=f"Product {sku}",
        category_id=category.id,
        brand_id=brand.id,
        price=Money.of(price, "USD"),
    )
    product = create_product(store=deps.store, data=data).value
    if on_hand:
        adjust_stock(store=deps.store, sku=sku, delta=on_hand, reason="seed")
    return product.id


def levels(deps: OrderDeps, sku: str) -> tuple[int, int]:
    item = get_stock(store=deps.store, sku=sku)
    return item.on_hand, item.reserved


def token_for(deps: OrderDeps, number: str, owner: str = CUSTOMER.sub) -> str:
    public = deps.payments.vault.tokenize(
        owner_id=owner, number=number, exp_month=12, exp_year=2031, cvc="123", holder_name="Ada"
    )
    return str(public["token"])


def order_body(deps: OrderDeps, sku: str, number: str = APPROVED, quantity: int = 1) -> PlaceOrder:
    return PlaceOrder.model_validate(
        {
            "items": [{"sku": sku, "quantity": quantity}],
            "shippingAddress": ADDRESS,
            "paymentToken": token_for(deps, number),
        }
    )


def charges(deps: OrderDeps, order_id: str) -> list[tuple[str, str]]:
    from shared.payments.sandbox import list_charges, sandbox_container

    return [(c["provider"], c["operation"]) for c in list_charges(sandbox_container(deps.store), order_id)]


@dataclass
class Workflow:
    engine: Engine
    deps: OrderDeps

    def place(self, body: PlaceOrder, key: str | None = None, who: Principal = CUSTOMER) -> str:
        placed = place_order(self.deps, who, body, key)
        if placed.created:
            self.engine.start_new(
                order_workflow.NAME,
                placed.order_id,
                json.dumps({"reviewTimeoutSeconds": self.deps.review_timeout_seconds}),
            )
        return placed.order_id

    async def finish(self, order_id: str, timeout: float = 20.0) -> dict[str, Any]:
        return await self.engine.wait(order_id, timeout=timeout)

    async def until(self, order_id: str, status: str, timeout: float = 10.0) -> None:
        for _ in range(int(timeout / 0.02)):
            loaded = self.deps.stream.load(order_id)
            if loaded is not None and loaded.state.status == status:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError(f"order {order_id} never reached {status}")

    async def until_held_for_review(self, order_id: str, timeout: float = 10.0) -> None:
        """Until the workflow has extended the order's reservation for the review (the step after
        `awaiting_review` is recorded): from then on it waits for the decision."""
        repo = InventoryRepository(self.deps.store)
        ttl = timedelta(seconds=self.deps.reservation_ttl_seconds)
        for _ in range(int(timeout / 0.02)):
            res = repo.get_reservation(order_id)
            if res is not None and res.expires_at - res.created_at > ttl:
                return
            await asyncio.sleep(0.02)
        raise TimeoutError(f"the reservation of order {order_id} was never extended for review")

    def decide(self, order_id: str, decision: str) -> None:
        self.engine.raise_event(order_id, order_workflow.REVIEW_EVENT, json.dumps({"decision": decision}))


def run_workflow(
    db: Path, deps: OrderDeps, scenario: Callable[[Workflow], Awaitable[T]], timeout: float = 60
) -> T:
    async def main() -> T:
        engine = Engine(db, ORCHESTRATORS, ACTIVITIES, poll_seconds=0.02)
        await engine.start()
        try:
            return await scenario(Workflow(engine, deps))
        finally:
            await engine.stop()

    return asyncio.run(asyncio.wait_for(main(), timeout))
