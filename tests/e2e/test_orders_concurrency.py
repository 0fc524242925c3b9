"""50 customers order the last 10 units at once: exactly 10 confirm, nobody else is charged."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.e2e.conftest import StartDevhost
from tests.e2e.helpers import ApiClient
from tests.e2e.orders_support import order_shop

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
CUSTOMERS, UNITS = 50, 10


def test_last_units_go_to_exactly_ten_customers(start_devhost: StartDevhost) -> None:
    o = order_shop(ApiClient(start_devhost().url, timeout=60))
    sku = o.product(stock=UNITS)
    customers = [o.customer() for _ in range(CUSTOMERS)]
    bodies = [o.order_body(sku, o.card(c)) for c in customers]

    def place(i: int) -> str:
        r = o.place(customers[i], bodies[i])
        assert r.status == 202, r
        return str(r.json()["orderId"])

    with ThreadPoolExecutor(CUSTOMERS) as pool:
        ids = list(pool.map(place, range(CUSTOMERS)))
    with ThreadPoolExecutor(10) as pool:
        finals = list(
            pool.map(lambda i: o.final(ids[i], customers[i], timeout=120)["status"], range(CUSTOMERS))
        )

    assert finals.count("confirmed") == UNITS and finals.count("out_of_stock") == CUSTOMERS - UNITS, finals
    assert o.levels(sku) == (0, 0)
    r = o.api.get(f"/api/inventory/{sku}")
    assert r.json()["available"] == 0
    for order_id, status in zip(ids, finals, strict=True):
        expected = [("sandbox", "authorize"), ("sandbox", "capture")] if status == "confirmed" else []
        assert o.charges(order_id) == expected, (order_id, status)
