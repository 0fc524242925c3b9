"""Issue 17, point 13: devhost's shutdown closes every HTTP client session functions opened.

The durable SDK's client keeps one aiohttp session per process; placing an order opens it (the
`POST /orders` starter calls the durable webhooks). After a graceful stop the log must show it
closed and no "Unclosed client session" / "Unclosed connector" (devhost checks the heap at exit,
devhost/clients.py, so a leak is reported every time rather than when interpreter teardown
happens to collect it).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import StartDevhost
from tests.e2e.helpers import ApiClient
from tests.e2e.orders_support import order_shop

pytestmark = pytest.mark.e2e


def test_a_graceful_stop_closes_the_durable_clients_session(start_devhost: StartDevhost) -> None:
    dh = start_devhost(env={"PYTHONWARNINGS": "always::ResourceWarning"})
    shop = order_shop(ApiClient(dh.url))
    customer = shop.customer()
    placed = shop.place(customer, shop.order_body(shop.product(stock=3), shop.card(customer)))
    assert placed.status == 202, placed
    assert shop.final(placed.json()["orderId"], customer)["status"] == "confirmed"

    assert dh.stop() == 0, dh.log_tail()
    log = dh.log()
    assert "devhost stopped" in log
    assert "closed the durable client's HTTP session" in log, dh.log_tail()
    for leak in ("Unclosed client session", "Unclosed connector", "ResourceWarning"):
        assert leak not in log, dh.log_tail()
