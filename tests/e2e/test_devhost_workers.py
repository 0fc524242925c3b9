"""FUNCTIONS_WORKER_PROCESS_COUNT=2: devhost runs the app in two processes over one data dir
(devhost/workers.py). Orders complete, both processes answer HTTP on the one port, a SIGKILLed
worker loses nothing (its orchestration partition is taken over and it is started again), and no
worker outlives worker 0."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ROOT, DevhostProcess, StartDevhost
from tests.e2e.helpers import ApiClient, wait_for
from tests.e2e.orders_support import APPROVED, DECLINED, OrderShop, order_shop

pytestmark = [pytest.mark.e2e, pytest.mark.slow]
TWO = {"FUNCTIONS_WORKER_PROCESS_COUNT": "2", "ORDER_REVIEW_TIMEOUT_SECONDS": "2"}


def _status(dh: DevhostProcess) -> dict[str, Any]:
    return dict(ApiClient(dh.url).get("/runtime/devhost/status").json())


def _children(dh: DevhostProcess) -> dict[str, int]:
    """Worker 0's children (index -> pid), asked until worker 0 answers a request."""

    def ask() -> dict[str, int] | None:
        status = _status(dh)
        return dict(status["workers"]) if status["worker"]["index"] == 0 else None

    return wait_for(ask, timeout=20, interval=0.01, message="a request answered by worker 0")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie (exited, not yet reaped) counts as gone.
    with open(f"/proc/{pid}/stat", encoding="ascii") as f:
        return f.read().split(") ", 1)[1][0] != "Z"


Prepared = tuple[list[str], list[dict[str, object]]]


def _prepare(o: OrderShop, sku: str, n: int, card_numbers: list[str]) -> Prepared:
    customers = [o.customer() for _ in range(n)]
    cards = [o.card(c, card_numbers[i % len(card_numbers)]) for i, c in enumerate(customers)]
    return customers, [o.order_body(sku, card) for card in cards]


def _place_all(o: OrderShop, sku: str, prepared: Prepared) -> list[tuple[str, str]]:
    customers, bodies = prepared
    n = len(customers)
    ids = [""] * n
    last: dict[int, object] = {}

    def place(i: int) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:  # a connection to the killed worker is cut: same key again
            try:
                r = o.place(customers[i], bodies[i], key=f"w-{sku}-{i}")
            except (OSError, http.client.HTTPException) as exc:  # e.g. IncompleteRead, BadStatusLine
                last[i] = exc
                time.sleep(0.1)
                continue
            last[i] = r
            if r.status == 202:
                ids[i] = str(r.json()["orderId"])
                return
            time.sleep(0.1)

    threads = [threading.Thread(target=place, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert all(ids), {i: last.get(i) for i, order_id in enumerate(ids) if not order_id}
    return list(zip(ids, customers, strict=True))


def _final(o: OrderShop, order_id: str, customer: str) -> str:
    """The order's final status; a request cut by a worker's death is asked again."""
    deadline = time.monotonic() + 60
    while True:
        try:
            return str(o.final(order_id, customer, timeout=60)["status"])
        except (OSError, http.client.HTTPException):
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def _check_ledger(o: OrderShop, sku: str, stock: int, orders: list[tuple[str, str]]) -> list[str]:
    finals = [_final(o, order_id, customer) for order_id, customer in orders]
    confirmed = 0
    for (order_id, _), status in zip(orders, finals, strict=True):
        operations = [op for _, op in o.charges(order_id)]
        assert operations.count("capture") == (1 if status == "confirmed" else 0), (order_id, operations)
        assert operations.count("authorize") <= 1, (order_id, operations)
        confirmed += status == "confirmed"
    assert o.levels(sku) == (stock - confirmed, 0)
    return finals


def test_two_workers_share_the_port_and_complete_orders(start_devhost: StartDevhost) -> None:
    dh = start_devhost(env=TWO)
    children = _children(dh)
    assert set(children) == {"1"}
    # New connections are spread by the kernel over both listening sockets.
    answered = {int(_status(dh)["worker"]["index"]) for _ in range(60)}
    assert answered == {0, 1}
    o = order_shop(ApiClient(dh.url))
    sku = o.product(stock=20)
    prepared = _prepare(o, sku, 12, [APPROVED, APPROVED, DECLINED])
    finals = _check_ledger(o, sku, 20, _place_all(o, sku, prepared))
    assert finals.count("confirmed") == 8 and finals.count("payment_failed") == 4, finals
    assert "devhost worker 1 listening on" in dh.log()
    assert dh.log().count("devhost listening on") == 1


def test_a_sigkilled_worker_loses_nothing_and_comes_back(start_devhost: StartDevhost) -> None:
    dh = start_devhost(env=TWO)
    (child,) = _children(dh).values()
    o = order_shop(ApiClient(dh.url))
    sku = o.product(stock=30)
    placed: list[tuple[str, str]] = []
    prepared = _prepare(o, sku, 16, [APPROVED])
    placer = threading.Thread(target=lambda: placed.extend(_place_all(o, sku, prepared)))
    placer.start()
    time.sleep(0.6)  # orders in flight in both workers: requests, episodes, activities, messages
    os.kill(child, 9)
    # Until its sockets are closed, a new connection may still be queued on the dying worker's.
    wait_for(lambda: not _alive(child), timeout=10, interval=0.01, message="worker 1 gone")
    placer.join(150)
    assert len(placed) == 16
    finals = _check_ledger(o, sku, 30, placed)
    assert finals == ["confirmed"] * 16, finals

    # Worker 0 started worker 1 again.
    def new_child() -> int | None:
        pid = _children(dh).get("1")
        return pid if pid not in (None, child) else None

    assert wait_for(new_child, timeout=30, interval=0.2, message="worker 1 started again") != child
    assert "exited with -9; starting it again" in dh.log()


def test_a_restart_after_sigkill_of_worker_0_recovers(start_devhost: StartDevhost, tmp_path: Path) -> None:
    data = tmp_path / "restart-data"
    dh = start_devhost(data_dir=data, env=TWO)
    (child,) = _children(dh).values()
    o = order_shop(ApiClient(dh.url))
    sku = o.product(stock=20)
    prepared = _prepare(o, sku, 10, [APPROVED])
    placed: list[tuple[str, str]] = []

    def place_across_the_restart() -> None:
        placed.extend(_place_all(o, sku, prepared))

    placer = threading.Thread(target=place_across_the_restart)
    placer.start()
    time.sleep(0.5)
    dh.kill()  # worker 0 and, with it, worker 1: leases, locks and partition files left behind
    wait_for(lambda: not _alive(child), timeout=20, interval=0.1, message="worker 1 exits with worker 0")
    again = start_devhost(data_dir=data, env=TWO)
    o.s.api = ApiClient(again.url)  # the port is new: the placer retries its keys against it
    placer.join(150)
    assert len(placed) == 10
    assert _check_ledger(o, sku, 20, placed) == ["confirmed"] * 10


def test_no_worker_outlives_worker_0(start_devhost: StartDevhost) -> None:
    dh = start_devhost(env=TWO)
    (child,) = _children(dh).values()
    dh.kill()  # SIGKILL: no shutdown code runs in worker 0
    wait_for(lambda: not _alive(child), timeout=20, interval=0.1, message="worker 1 exits with worker 0")


def test_sigterm_stops_every_worker(start_devhost: StartDevhost) -> None:
    dh = start_devhost(env=TWO)
    (child,) = _children(dh).values()
    assert dh.stop() == 0
    assert not _alive(child)


def test_an_invalid_worker_count_is_refused(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FUNCTIONS_WORKER_PROCESS_COUNT": "11"}
    cmd = [sys.executable, "-m", "devhost", "start", "--port", "0", "--data-dir", str(tmp_path), "--no-seed"]
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert "FUNCTIONS_WORKER_PROCESS_COUNT must be a whole number from 1 to 10" in done.stderr
