"""SIGKILL devhost at random points while 20 orders are placed and processed, restart it on the
same data dir: every order ends in a final status, the sandbox ledger shows each order captured
exactly once (confirmed) or not at all, and no reservation is left holding stock."""

from __future__ import annotations

import random
import threading
import time
import urllib.error
from pathlib import Path

import pytest

from tests.e2e.conftest import DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, HttpResult
from tests.e2e.orders_support import (
    APPROVED,
    BLOCKED,
    DECLINED,
    HIGHEST,
    PROCESSING_ERROR,
    OrderShop,
    order_shop,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
ORDERS, BURSTS, STOCK = 20, 4, 15
CARDS = [APPROVED] * 12 + [DECLINED] * 3 + [PROCESSING_ERROR] * 2 + [BLOCKED, HIGHEST, HIGHEST]
ENV = {"ORDER_REVIEW_TIMEOUT_SECONDS": "2"}


class Cluster:
    """The current devhost; requests retry across a kill until the restarted one answers."""

    def __init__(self, start: StartDevhost, data_dir: Path) -> None:
        self.start, self.data_dir = start, data_dir
        self.lock = threading.Lock()
        self.dh: DevhostProcess = start(data_dir=data_dir, env=ENV)

    def api(self) -> ApiClient:
        with self.lock:
            return ApiClient(self.dh.url, timeout=10)

    def crash_and_restart(self) -> None:
        with self.lock:
            self.dh.kill()
            self.dh = self.start(data_dir=self.data_dir, env=ENV)

    def call(self, fn_name: str, path: str, *args: object, **kwargs: object) -> HttpResult:
        deadline = time.monotonic() + 90
        while True:
            try:
                r: HttpResult = getattr(self.api(), fn_name)(path, *args, **kwargs)
                if r.status < 500:
                    return r
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                pass
            if time.monotonic() > deadline:
                raise AssertionError(f"{fn_name} {path} never succeeded")
            time.sleep(0.1)


def test_orders_survive_sigkill(start_devhost: StartDevhost, tmp_path: Path) -> None:
    rng = random.Random(20261125)
    cluster = Cluster(start_devhost, tmp_path / "crash-data")
    o: OrderShop = order_shop(cluster.api())
    sku = o.product(stock=STOCK)
    customers = [o.customer() for _ in range(ORDERS)]
    bodies = [o.order_body(sku, o.card(c, n)) for c, n in zip(customers, CARDS, strict=True)]
    ids: list[str] = [""] * ORDERS

    def place(i: int) -> None:
        r = cluster.call(
            "post", "/api/orders", bodies[i], token=customers[i], headers={"Idempotency-Key": f"crash-{i}"}
        )
        assert r.status == 202, r
        ids[i] = str(r.json()["orderId"])

    # Bursts of orders, each followed by a kill a random moment later: requests, workflow steps
    # and stream appends are cut at different points; the placers retry with their keys.
    per_burst = ORDERS // BURSTS
    for burst in range(BURSTS):
        placers = [
            threading.Thread(target=place, args=(i,))
            for i in range(burst * per_burst, (burst + 1) * per_burst)
        ]
        for t in placers:
            t.start()
        time.sleep(rng.uniform(0.02, 0.25))
        cluster.crash_and_restart()
        for t in placers:
            t.join(timeout=120)
        assert not any(t.is_alive() for t in placers)
    assert all(ids)

    api = cluster.api()
    finals: list[str] = []
    for order_id, customer in zip(ids, customers, strict=True):
        o.s.api = api
        finals.append(o.final(order_id, customer, timeout=90)["status"])
    o.s.api = api
    confirmed = 0
    for order_id, status in zip(ids, finals, strict=True):
        operations = [op for _, op in o.charges(order_id)]
        assert operations.count("capture") == (1 if status == "confirmed" else 0), (
            order_id,
            status,
            operations,
        )
        assert operations.count("authorize") <= 1, (order_id, operations)
        confirmed += status == "confirmed"
    assert set(finals) <= {"confirmed", "payment_failed", "rejected", "out_of_stock"}, finals
    # Every reservation was consumed (confirmed) or released (everything else).
    assert o.levels(sku) == (STOCK - confirmed, 0)
