"""Issue 17, point 13: devhost's shutdown closes every HTTP client session functions opened.

The durable SDK's client keeps one aiohttp session per process; a review decision opens it (the
client raises the external event over the durable webhooks). After a graceful stop the log must show it
closed and no "Unclosed client session" / "Unclosed connector" (devhost checks the heap at exit,
devhost/clients.py, so a leak is reported every time rather than when interpreter teardown
happens to collect it).
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import StartDevhost
from tests.e2e.helpers import ApiClient
from tests.e2e.orders_support import HIGHEST, order_shop

pytestmark = pytest.mark.e2e


def test_a_graceful_stop_closes_the_durable_clients_session(start_devhost: StartDevhost) -> None:
    dh = start_devhost(env={"PYTHONWARNINGS": "always::ResourceWarning"})
    shop = order_shop(ApiClient(dh.url))
    customer = shop.customer()
    # A high-risk card sends the order to review; the review decision is an external event the
    # client raises over the durable webhooks (start_new and get_status are answered in-process,
    # devhost/durable/inproc.py), which opens the SDK's aiohttp session.
    body = shop.order_body(shop.product(stock=3), shop.card(customer, HIGHEST))
    placed = shop.place(customer, body)
    assert placed.status == 202, placed
    order_id = placed.json()["orderId"]
    shop.wait_status(order_id, customer, {"awaiting_review"})
    review = shop.api.post(f"/api/orders/{order_id}/review", {"decision": "approve"}, token=shop.support)
    assert review.status == 202, review
    assert shop.final(order_id, customer)["status"] == "confirmed"

    assert dh.stop() == 0, dh.log_tail()
    log = dh.log()
    assert "devhost stopped" in log
    assert "closed the durable client's HTTP session" in log, dh.log_tail()
    for leak in ("Unclosed client session", "Unclosed connector", "ResourceWarning"):
        assert leak not in log, dh.log_tail()
