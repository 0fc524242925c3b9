"""Real orders for the fraud monitoring and label tests: the orders context's own in-process harness
(SQLite store, sandbox provider, devhost's durable engine running the real workflow), the rules
scorer, and CloudEvents shaped like the ones the orders and payments contexts publish."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from shared import composition as bootstrap
from shared.messaging.events import CloudEvent
from shared.orders.deps import OrderDeps
from shared.settings import get_settings
from tests.integration.orders.harness import (
    APPROVED,
    HIGHEST,
    Workflow,
    build_deps,
    order_body,
    run_workflow,
    seed_product,
)
from tests.unit.edge_support import use_env


def cloud_event(event_type: str, order_id: str, **data: Any) -> CloudEvent:
    producer = "payments" if event_type.startswith("Payment") else "orders"
    return CloudEvent(
        id=str(uuid.uuid4()),
        source=f"smartcommerce.{producer}",
        type=event_type,
        time=datetime.now(UTC),
        data={"orderId": order_id, **data},
    )


@dataclass
class World:
    deps: OrderDeps
    db: Path
    sku: str = "SKU-F"

    def order(self, card: str = APPROVED, review: str | None = None) -> str:
        """Place an order and run its workflow to the end (deciding the review if it asks for one)."""
        body = order_body(self.deps, self.sku, number=card)

        async def scenario(wf: Workflow) -> str:
            order_id = wf.place(body)
            if review is not None:
                await wf.until(order_id, "awaiting_review")
                wf.decide(order_id, review)
            await wf.finish(order_id)
            return order_id

        return run_workflow(self.db, self.deps, scenario, timeout=60)

    def waiting(self) -> str:
        """An order left in awaiting_review (provider signal `highest`)."""
        body = order_body(self.deps, self.sku, number=HIGHEST)

        async def scenario(wf: Workflow) -> str:
            order_id = wf.place(body)
            await wf.until(order_id, "awaiting_review")
            return order_id

        return run_workflow(self.db, self.deps, scenario, timeout=60)

    def status(self, order_id: str) -> str:
        loaded = self.deps.stream.load(order_id)
        assert loaded is not None
        return loaded.state.status


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    use_env(monkeypatch, tmp_path / "data", MODEL_REFRESH_SECONDS="0")
    bootstrap.reset()
    deps = build_deps(get_settings(), tmp_path / "data", review_timeout=60)
    bootstrap.override(order_deps=deps, fraud_scorer=deps.scorer)
    seed_product(deps, "SKU-F", price="20.00", on_hand=50)
    yield World(deps, tmp_path / "durable.db")
    bootstrap.override(order_deps=None, fraud_scorer=None)
    bootstrap.reset()
