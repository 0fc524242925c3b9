"""Soak run: orders for a long stretch while devhost is SIGKILLed every ~90 s and restarted.

    .venv/bin/python bench/soak.py [--minutes 10] [--kill-every 90] [--clients 8]

Not part of `make test` (it takes as long as it is told to). Clients place orders (80 % approved
card, 10 % declined, 10 % sent to review, which a staff client decides) with an Idempotency-Key,
so a POST cut off by a kill is sent again after the restart and names the same order. Every
`--kill-every` seconds (jittered by up to 20 %) devhost gets SIGKILL, mid-work, and is started
again on the same data dir. At the end: no new orders, the reviews are decided, every order is
followed until final (the order recovery sweep runs every 5 s here, for POSTs killed before the
workflow started), and the script prints and checks:
- lost orders: accepted (202) but never final, or gone;
- double captures: orders with more than one approved capture in the sandbox ledger;
- stray reservations: reservations still holding stock once every order is final, and skus whose
  reserved count is not 0 or whose stock does not add up.
Exit status 1 unless all three are 0.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from bench.load import ADDRESS, CARD_MIX, FINAL  # noqa: E402
from bench.order_bench import READY  # noqa: E402

SKUS = [f"SOAK-{n}" for n in range(4)]
STOCK = 100_000


class Host:
    """devhost on one data dir; `url` changes with every restart (port 0)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.proc: subprocess.Popen[bytes] | None = None
        self.url = ""
        self.up = asyncio.Event()
        self.kills = 0

    def start(self) -> None:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "SC_LOG_LEVEL": "WARNING",
            "ORDER_RECOVERY_GRACE_SECONDS": "10",
            "ORDER_RECOVERY_SCHEDULE": "*/5 * * * * *",
        }
        cmd = [sys.executable, "-m", "devhost", "start", "--port", "0", "--no-seed", "--data-dir"]
        log_path = self.data_dir / f"devhost-{self.kills}.log"  # a file: a pipe nobody reads fills up
        with log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [*cmd, str(self.data_dir)], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
            )
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            match = READY.search(log_path.read_text(errors="replace"))
            if match:
                self.url = match.group(1)
                self.up.set()
                return
            if self.proc.poll() is not None:
                raise RuntimeError("devhost exited:\n" + log_path.read_text(errors="replace"))
            time.sleep(0.1)
        raise RuntimeError("devhost did not start")

    def kill(self) -> None:
        self.up.clear()
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(30)
        self.kills += 1

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


async def call(
    session: aiohttp.ClientSession,
    host: Host,
    method: str,
    path: str,
    token: str | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    attempts: int = 1000,
) -> tuple[int, Any]:
    """One request, sent again (after the host is back) while the connection fails."""
    for _ in range(attempts):
        await host.up.wait()
        hdrs = {**(headers or {}), **({"Authorization": f"Bearer {token}"} if token else {})}
        try:
            async with session.request(method, host.url + path, json=body, headers=hdrs) as resp:
                data = await resp.json(content_type=None) if resp.content_length != 0 else None
                if resp.status >= 500:
                    await asyncio.sleep(0.5)  # e.g. a store locked by the dying process: again
                    continue
                return resp.status, data
        except (aiohttp.ClientError, TimeoutError, ConnectionError):
            await asyncio.sleep(0.2)
    raise RuntimeError(f"{method} {path} kept failing")


async def token(session: aiohttp.ClientSession, host: Host, sub: str, role: str) -> str:
    status, body = await call(session, host, "POST", "/api/dev/token", body={"sub": sub, "roles": [role]})
    assert status == 200, body
    return str(body["accessToken"])


async def setup(session: aiohttp.ClientSession, host: Host) -> None:
    admin = await token(session, host, "soak-admin", "admin")
    _, category = await call(session, host, "POST", "/api/categories", admin, {"name": "Soak"})
    _, brand = await call(session, host, "POST", "/api/brands", admin, {"name": "Soak"})
    for sku in SKUS:
        product = {
            "sku": sku,
            "name": f"Soak {sku}",
            "categoryId": category["id"],
            "brandId": brand["id"],
            "price": {"amount": "5.00", "currency": "USD"},
        }
        status, body = await call(session, host, "POST", "/api/products", admin, product)
        assert status == 201, body
        delta = {"delta": STOCK, "reason": "soak"}
        status, body = await call(session, host, "POST", f"/api/inventory/{sku}/adjustments", admin, delta)
        assert status in (200, 201), body


async def client(
    session: aiohttp.ClientSession, host: Host, n: int, until: float, orders: dict[str, tuple[str, str]]
) -> None:
    rng = random.Random(n)
    placed = 0
    while time.monotonic() < until:
        if placed % 4 == 0:  # a new shopper now and then: one placing hundreds trips the fraud rules
            me = await token(session, host, f"soak-user-{n}-{placed}", "customer")
        placed += 1
        card = {
            "cardNumber": rng.choice(CARD_MIX),
            "expMonth": 12,
            "expYear": 2031,
            "cvc": "123",
            "holderName": "S",
        }
        status, public = await call(session, host, "POST", "/api/payments/tokens", me, card)
        if status != 201:
            print(f"  POST /payments/tokens answered {status}: {public}", flush=True)
            await asyncio.sleep(1)
            continue
        sku = rng.choice(SKUS)
        body = {
            "items": [{"sku": sku, "quantity": 1}],
            "paymentToken": public["token"],
            "shippingAddress": ADDRESS,
        }
        key = {"Idempotency-Key": uuid.uuid4().hex}  # the same order if the POST is sent again
        status, accepted = await call(session, host, "POST", "/api/orders", me, body, key)
        if status in (200, 201, 202):
            orders[accepted["orderId"]] = (sku, me)
        else:
            print(f"  POST /orders answered {status}: {accepted}", flush=True)
        await asyncio.sleep(rng.uniform(0.05, 0.3))


async def reviewer(session: aiohttp.ClientSession, host: Host, staff: str, stop: asyncio.Event) -> None:
    rng = random.Random(3)
    while not stop.is_set():
        status, page = await call(session, host, "GET", "/api/fraud/reviews?limit=100", staff)
        items = (page or {}).get("items", []) if status == 200 else []
        await asyncio.gather(
            *(decide(session, host, staff, item["id"], rng.random() < 0.67) for item in items)
        )
        await asyncio.sleep(1.0)


async def decide(
    session: aiohttp.ClientSession, host: Host, staff: str, order_id: str, approve: bool
) -> None:
    decision = {"decision": "approve" if approve else "reject"}
    await call(session, host, "POST", f"/api/orders/{order_id}/review", staff, decision)


async def killer(host: Host, until: float, every: float) -> None:
    rng = random.Random(11)
    while True:
        wait = every * rng.uniform(0.8, 1.2)
        if time.monotonic() + wait > until:
            return
        await asyncio.sleep(wait)
        host.kill()
        print(f"  SIGKILL #{host.kills} at {time.strftime('%H:%M:%S')}; restarting", flush=True)
        await asyncio.to_thread(host.start)


async def soak(host: Host, minutes: float, every: float, clients: int) -> tuple[dict[str, Any], int]:
    orders: dict[str, tuple[str, str]] = {}
    timeout = aiohttp.ClientTimeout(total=30)
    async with aiohttp.ClientSession(timeout=timeout) as session:
        await setup(session, host)
        staff = await token(session, host, "soak-support", "support")
        until = time.monotonic() + minutes * 60
        stop_review = asyncio.Event()
        review_task = asyncio.create_task(reviewer(session, host, staff, stop_review))
        await asyncio.gather(
            killer(host, until, every), *(client(session, host, n, until, orders) for n in range(clients))
        )
        print(
            f"  {len(orders)} orders accepted, {host.kills} kills; waiting for every order to end", flush=True
        )
        statuses: dict[str, str] = {}
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline:
            for oid, (_, tok) in orders.items():
                if statuses.get(oid) in FINAL:
                    continue
                status, order = await call(session, host, "GET", f"/api/orders/{oid}", tok)
                statuses[oid] = order["status"] if status == 200 else f"http {status}"
                if statuses[oid] == "awaiting_review":  # a person decides: here, approve the rest
                    await decide(session, host, staff, oid, True)
            if all(s in FINAL for s in statuses.values()):
                break
            await asyncio.sleep(2)
        stop_review.set()
        await review_task
        levels = {}
        for sku in SKUS:
            _, body = await call(session, host, "GET", f"/api/inventory/{sku}")
            levels[sku] = (int(body["onHand"]), int(body["reserved"]))
    sold: dict[str, int] = defaultdict(int)
    for oid, (sku, _) in orders.items():
        if statuses.get(oid) in ("confirmed", "shipped"):
            sold[sku] += 1
    by_status: dict[str, int] = defaultdict(int)
    for s in statuses.values():
        by_status[s] += 1
    return {
        "orders": orders,
        "statuses": statuses,
        "levels": levels,
        "sold": sold,
        "by_status": dict(by_status),
    }, host.kills


def ledger_and_reservations(data_dir: Path, order_ids: list[str]) -> tuple[int, int]:
    from shared.adapters.sqlite_documents import SqliteDocumentStore
    from shared.inventory.repository import RESERVATIONS_CONTAINER
    from shared.payments.sandbox import list_charges, sandbox_container
    from shared.ports.documents import Query

    store = SqliteDocumentStore(data_dir / "documents.db")
    captures: dict[str, int] = defaultdict(int)
    for charge in list_charges(sandbox_container(store)):
        if charge["operation"] == "capture" and charge["outcome"] == "approved":
            captures[str(charge["orderId"])] += 1
    doubles = sum(1 for oid in order_ids if captures.get(oid, 0) > 1)
    reservations = store.container(RESERVATIONS_CONTAINER, "/orderId")
    held = sum(
        1
        for doc in reservations.query_all(Query())
        if doc.get("status") in ("pending", "reserved", "releasing", "committing")
    )
    return doubles, held


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10.0)
    parser.add_argument("--kill-every", type=float, default=90.0, help="seconds between SIGKILLs (jittered)")
    parser.add_argument("--clients", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        host = Host(Path(tmp))

        async def run() -> tuple[dict[str, Any], int]:
            await asyncio.to_thread(host.start)
            return await soak(host, args.minutes, args.kill_every, args.clients)

        try:
            result, kills = asyncio.run(run())
        finally:
            host.stop()
        orders, statuses = result["orders"], result["statuses"]
        lost = [oid for oid in orders if statuses.get(oid) not in FINAL]
        doubles, held = ledger_and_reservations(Path(tmp), list(orders))
        stock_off = [
            sku
            for sku, (on_hand, reserved) in result["levels"].items()
            if reserved != 0 or on_hand != STOCK - result["sold"][sku]
        ]
    print(f"\nsoak: {args.minutes:g} min, {kills} SIGKILLs, {len(orders)} orders accepted")
    if not orders:
        print("  FAIL no order was accepted: nothing was tested")
    print("  final statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(result["by_status"].items())))
    print(f"  lost orders:        {len(lost)}" + (f"  e.g. {lost[:3]}" if lost else ""))
    print(f"  double captures:    {doubles}")
    print(f"  stray reservations: {held}" + (f"; stock off for {stock_off}" if stock_off else ""))
    return 0 if orders and not lost and not doubles and not held and not stock_off else 1


if __name__ == "__main__":
    sys.exit(main())
