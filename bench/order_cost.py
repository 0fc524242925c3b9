"""What one order costs in operations: the input of the Azure sizing in docs/performance.md.

    .venv/bin/python bench/order_cost.py [--orders 40]

Runs the real order workflow in-process (embedded document store, local bus, sandbox payments,
rules fraud scorer, devhost's durable engine) for approved orders, counting per order:
- document operations by kind (point reads, creates/replaces/upserts, deletes, queries and the
  items they returned, transactional batches and their operations) and the bytes written,
- outbox entries (events the relay publishes to Service Bus, and commands it sends to a queue)
  and bus messages sent directly,
- activity executions and orchestration episodes (each episode a replay with history reads).
Counts, not timings: they do not depend on the machine, so they convert to Cosmos RU and Durable
backend operations on paper.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

import azure.durable_functions as df  # noqa: E402
import azure.functions as func  # noqa: E402

from devhost.durable import registry  # noqa: E402
from devhost.durable.engine import Engine  # noqa: E402
from devhost.index import FunctionIndex  # noqa: E402
from orchestrations import order_activities, order_workflow  # noqa: E402
from shared.adapters import sqlite_container  # noqa: E402
from shared.adapters.sqlite_container import SqliteContainer  # noqa: E402
from shared.messaging.events import CloudEvent  # noqa: E402
from shared.messaging.outbox import outbox_properties  # noqa: E402

COUNTS: Counter[str] = Counter()
EVENTS: Counter[str] = Counter()  # outbox entries by event type
ROUTED: list[Any] = []  # their messages' application properties (what subscription filters see)


def _count(name: str, method: Any) -> Any:
    def wrapper(self: SqliteContainer, *args: Any, **kwargs: Any) -> Any:
        COUNTS[f"{name}"] += 1
        result = method(self, *args, **kwargs)
        if name == "query":
            COUNTS["query items"] += len(result.items)
        if name == "batch":
            ops = args[1] if len(args) > 1 else kwargs["operations"]
            COUNTS["batch ops"] += len(ops)
            for op in ops:
                if op.document is not None and "_outbox" in op.document:
                    COUNTS["outbox entries"] += 1
                    if "queue" in op.document["_outbox"]:  # a command (round 4): to its queue
                        COUNTS["outbox commands (to a queue)"] += 1
                        continue
                    event = op.document["_outbox"]["event"]
                    EVENTS[event["type"]] += 1
                    props = CloudEvent.model_validate(event).to_message().application_properties
                    ROUTED.append({**outbox_properties(op.document), **props})
        return result

    return wrapper


def instrument() -> None:
    for name in ("read", "create", "upsert", "replace", "delete", "patch", "query", "batch"):
        setattr(SqliteContainer, name, _count(name, getattr(SqliteContainer, name)))
    encode = sqlite_container.encode

    def counted_encode(document: object) -> tuple[str, Any]:
        text, copy = encode(document)
        COUNTS["documents written"] += 1
        COUNTS["bytes written"] += len(text.encode())
        return text, copy

    sqlite_container.encode = counted_encode  # type: ignore[assignment]


async def run(orders: int, data: Path, sessions: bool = True) -> dict[str, float]:
    from shared.adapters.local_publisher import LocalBusPublisher
    from shared.adapters.localbus import LocalBus, load_topology
    from shared.adapters.sqlite_documents import SqliteDocumentStore
    from shared.catalog import taxonomy
    from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductCreate
    from shared.catalog.service import create_product
    from shared.composition import build_payment_service
    from shared.fraud.ports import Thresholds
    from shared.fraud.rules import RulesScorer
    from shared.inventory.service import adjust_stock
    from shared.kernel.identity import Principal
    from shared.kernel.money import Money
    from shared.orders.deps import OrderDeps
    from shared.orders.schemas import PlaceOrder
    from shared.orders.service import place_order
    from shared.orders.stream import OrderStream
    from shared.settings import get_settings

    store = SqliteDocumentStore(data / "documents.db")
    bus = LocalBus(data / "bus.db", load_topology())
    sent: Counter[str] = Counter()
    publisher = LocalBusPublisher(bus)
    original_send = publisher.send

    def send(queue: str, messages: Any) -> Any:
        sent[queue] += len(messages)
        return original_send(queue, messages)

    publisher.send = send  # type: ignore[method-assign]
    deps = OrderDeps(
        store=store,
        stream=OrderStream(store),
        payments=build_payment_service(store, get_settings()),
        scorer=RulesScorer(Thresholds()),
        publisher=publisher,
        review_timeout_seconds=86400,
        reservation_ttl_seconds=900,
    )
    category = taxonomy.create_category(store=store, data=CategoryCreate(name="cost"))
    brand = taxonomy.create_brand(store=store, data=BrandCreate(name="cost"))
    for n in range(orders):
        sku = f"COST-{n}"
        data_in = ProductCreate(
            sku=sku, name=f"P {n}", category_id=category.id, brand_id=brand.id, price=Money.of("20.00", "USD")
        )
        create_product(store=store, data=data_in)
        adjust_stock(store=store, sku=sku, delta=10, reason="seed")
    customer = Principal(sub="cost-customer", roles=("customer",), email="c@example.com")
    bodies = []
    for n in range(orders):
        vault = deps.payments.vault
        number = "4242424242424242"
        token = vault.tokenize(
            owner_id=customer.sub, number=number, exp_month=12, exp_year=2031, cvc="123", holder_name="C"
        )["token"]
        address = {"line1": "1 Main St", "city": "Springfield", "postalCode": "1", "country": "US"}
        items = [{"sku": f"COST-{n}", "quantity": 1}]
        raw = {"items": items, "shippingAddress": address, "paymentToken": token}
        bodies.append(PlaceOrder.model_validate(raw))

    app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)
    app.register_functions(order_workflow.bp)
    app.register_functions(order_activities.bp)
    orchestrators, activities = registry.build(FunctionIndex.from_app(app))
    executions: Counter[str] = Counter()

    def counted(name: str, fn: Any) -> Any:
        async def call(input_json: str | None) -> str | None:
            executions[name] += 1
            return await fn(input_json)  # type: ignore[no-any-return]

        return call

    activities = {name: counted(name, fn) for name, fn in activities.items()}
    from shared import composition

    composition.override(order_deps=deps)
    try:  # host.json's extendedSessionsEnabled, where the engine has it
        engine = Engine(
            data / "durable.db", orchestrators, activities, poll_seconds=0.02, extended_sessions=sessions
        )
    except TypeError:  # an engine from before extended sessions (comparing with an older tree)
        engine = Engine(data / "durable.db", orchestrators, activities, poll_seconds=0.02)
    await engine.start()
    COUNTS.clear()
    EVENTS.clear()
    ROUTED.clear()
    cpu_began = time.process_time()
    try:
        ids = []
        for body in bodies:
            placed = place_order(deps, customer, body, None)
            engine.start_new(order_workflow.NAME, placed.order_id, json.dumps({}))
            ids.append(placed.order_id)
        for order_id in ids:
            doc = await engine.wait(order_id, timeout=120)
            assert doc["output"] == "confirmed", doc
        cpu = time.process_time() - cpu_began
        history = sum(len(engine.store.history(i, sdk_only=False)) for i in ids)
    finally:
        await engine.stop()
        composition.override(order_deps=None)
    per = {k: v / orders for k, v in COUNTS.items()}
    per["activity executions"] = sum(executions.values()) / orders
    per["orchestration episodes"] = engine.stats.episodes / orders
    per["history events"] = history / orders
    per["bus messages sent directly"] = sum(sent.values()) / orders
    # What the relay will fan out: one delivery per subscription whose filter takes the event
    # (infra/messaging.json), each a consumer invocation with its lease, inbox read and marker.
    subs = bus.topology.subscriptions()
    for props in ROUTED:
        for sub in subs:
            if sub.matches(props.get("type"), props):
                key = f"deliveries: {sub.subscription}"
                per[key] = per.get(key, 0) + 1 / orders
    per["deliveries (topic subscriptions)"] = sum(n for k, n in per.items() if k.startswith("deliveries: "))
    for event_type, n in EVENTS.items():
        per[f"event: {event_type}"] = n / orders
    # All orders in flight at once, in one process, no HTTP and no event consumers: the CPU of
    # POST /orders' logic plus the workflow (engine + activities). Counted separately below.
    per["CPU ms (place + workflow)"] = cpu / orders * 1000
    per["episode ms (engine + SDK)"] = engine.stats.episode_seconds / orders * 1000
    per["SDK replay ms (handle)"] = engine.stats.handle_seconds / orders * 1000
    return per


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=40)
    parser.add_argument("--no-sessions", action="store_true", help="extended sessions off (full replays)")
    args = parser.parse_args()
    instrument()
    with tempfile.TemporaryDirectory() as tmp:
        import os

        os.environ["SC_DATA_DIR"] = tmp
        per = asyncio.run(run(args.orders, Path(tmp), sessions=not args.no_sessions))
    print(f"per approved order (mean of {args.orders}; POST /orders included, HTTP reads not):")
    for key in sorted(per):
        print(f"  {key:<28} {per[key]:>8.1f}")


if __name__ == "__main__":
    main()
