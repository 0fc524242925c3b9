"""Load test: virtual shoppers against devhost on loopback, then a check that nothing went wrong.

    .venv/bin/python bench/load.py [--users 50 200] [--seconds 60]      (or `make load`)
    .venv/bin/python bench/load.py --users 200 --seconds 30 --root /work/main .   (before/after)

A bounded asyncio client (aiohttp; one task per user, no more requests in flight than users).
Each user, for a fixed time: browses a listing, opens two products, searches (skipped, with a
note, while `GET /api/search` answers 404), adds an address once, then buys one unit of a
product with a sandbox card: mostly approved, some declined (4000 ...0002) and some sent to
review (4000 ...4954), and follows the order until it leaves `pending`; a staff user decides
the orders waiting for review. Think time between steps: 50-200 ms.

Prints per level: the load average, throughput, p50/p95/p99 and errors per step, search split
at the moment the first search answered (what a worker's index start costs the searches sent
before it), and devhost's CPU time; `--root` runs the level against devhost of each given tree in
turn (e.g. a main checkout, then this one: a before/after in one session). Then waits until
every order is final and verifies: every order final, stock adds up per sku (on hand before -
units confirmed = on hand after, nothing left reserved), no payment captured twice (the sandbox
ledger, read from the data dir after devhost stopped). Exit status 1 if a check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from bench.catalog_bench import seed  # noqa: E402
from bench.http_bench import spawn  # noqa: E402

APPROVED, DECLINED, REVIEW = "4242424242424242", "4000000000000002", "4000000000004954"
CARD_MIX = [APPROVED] * 8 + [DECLINED, REVIEW]  # 80 % approved, 10 % declined, 10 % review
FINAL = {"confirmed", "shipped", "out_of_stock", "payment_failed", "rejected", "cancelled", "refunded"}
SETTLED = FINAL | {"awaiting_review"}  # where a shopper stops following the order
ADDRESS = {"line1": "1 Load St", "city": "Springfield", "postalCode": "12345", "country": "US"}
NOT_STEPS = {"setup", "stock", "drain", "order -> settled"}  # setup, checks, and a derived figure
QUERIES = ["shoes", "coffee", "lamp", "jacket", "headphones", "tent", "mug", "watch"]


@dataclass
class Stats:
    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    orders: list[tuple[str, str, str]] = field(default_factory=list)  # (order id, sku, token)
    searches: list[tuple[float, float]] = field(default_factory=list)  # (sent, answered) perf_counter
    search_modes: dict[str, int] = field(default_factory=lambda: defaultdict(int))  # answers' `mode`

    def record(self, step: str, began: float, ok: bool) -> None:
        self.latencies[step].append(time.perf_counter() - began)
        if not ok:
            self.errors[step] += 1


class Shop:
    def __init__(self, session: aiohttp.ClientSession, base: str, stats: Stats) -> None:
        self.session, self.base, self.stats = session, base, stats
        self.search_ok: bool | None = None

    async def call(
        self, step: str, method: str, path: str, token: str | None = None, body: Any = None, ok=(200,)
    ) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        began = time.perf_counter()
        try:
            async with self.session.request(method, self.base + path, json=body, headers=headers) as resp:
                data = await resp.json(content_type=None) if resp.content_length != 0 else None
                status = resp.status
        except (aiohttp.ClientError, TimeoutError):
            self.stats.record(step, began, False)
            return 0, None
        self.stats.record(step, began, status in ok)
        return status, data


async def token(shop: Shop, sub: str, role: str) -> str:
    status, body = await shop.call("setup", "POST", "/api/dev/token", body={"sub": sub, "roles": [role]})
    assert status == 200, body
    return str(body["accessToken"])


async def shopper(
    shop: Shop, n: int, products: list[str], skus: dict[str, str], categories: list[str], until: float
) -> None:
    rng = random.Random(n)
    me = await token(shop, f"load-user-{n}", "customer")
    address_added = False

    async def think() -> None:
        await asyncio.sleep(rng.uniform(0.05, 0.2))

    while time.monotonic() < until:
        await shop.call("browse listing", "GET", f"/api/products?category={rng.choice(categories)}&limit=20")
        await think()
        for pid in rng.sample(products, 2):
            await shop.call("open product", "GET", f"/api/products/{pid}")
            await think()
        if shop.search_ok is not False:
            sent = time.perf_counter()
            status, found = await shop.call(
                "search", "GET", f"/api/search?q={rng.choice(QUERIES)}&limit=10", ok=(200, 404)
            )
            shop.stats.searches.append((sent, time.perf_counter()))
            if status == 200 and isinstance(found, dict):
                shop.stats.search_modes[str(found.get("mode"))] += 1
            if status == 404 and shop.search_ok is None:
                shop.search_ok = False
                print("  GET /api/search answers 404 (no search route yet): search step skipped")
            elif status == 200:
                shop.search_ok = True
        if not address_added:
            status, _ = await shop.call("add address", "POST", "/api/me/addresses", me, ADDRESS, ok=(201,))
            address_added = status == 201
        card = {
            "cardNumber": rng.choice(CARD_MIX),
            "expMonth": 12,
            "expYear": 2031,
            "cvc": "123",
            "holderName": "Load",
        }
        status, public = await shop.call("card token", "POST", "/api/payments/tokens", me, card, ok=(201,))
        if status != 201:
            continue
        pid = rng.choice(products)
        order = {"items": [{"sku": skus[pid], "quantity": 1}], "paymentToken": public["token"]}
        order["shippingAddress"] = ADDRESS
        began = time.perf_counter()
        status, accepted = await shop.call("place order", "POST", "/api/orders", me, order, ok=(202,))
        if status != 202:
            continue
        order_id = accepted["orderId"]
        shop.stats.orders.append((order_id, skus[pid], me))
        while time.monotonic() < until + 30:  # follow it (bounded: the drain below checks the rest)
            await asyncio.sleep(0.25)
            status, current = await shop.call("follow order", "GET", f"/api/orders/{order_id}", me)
            if status == 200 and current["status"] in SETTLED:
                shop.stats.latencies["order -> settled"].append(time.perf_counter() - began)
                break
        await think()


async def reviewer(shop: Shop, staff: str, until: float) -> None:
    """Support staff: decides every order waiting for review (approve two in three)."""
    rng = random.Random(7)
    while time.monotonic() < until:
        status, page = await shop.call("review queue", "GET", "/api/fraud/reviews?limit=100", staff)
        for item in (page or {}).get("items", []) if status == 200 else []:
            order_id = item.get("orderId") or item.get("id")
            decision = "approve" if rng.random() < 0.67 else "reject"
            await shop.call(
                "review", "POST", f"/api/orders/{order_id}/review", staff, {"decision": decision}, (202, 409)
            )
        await asyncio.sleep(0.5)


def pct(data: list[float], p: float) -> float:
    data = sorted(data)
    return data[min(len(data) - 1, int(p * len(data)))] * 1000


def search_report(stats: Stats, began: float) -> None:
    """Search split by when it was sent: before the first search answered (a worker's index
    start: every search sent then waits for it) and after (the index warm)."""
    if not stats.searches:
        return
    first = min(done for _, done in stats.searches)
    modes = ", ".join(f"{mode} {n}" for mode, n in sorted(stats.search_modes.items()))
    print(f"  first search answered {first - began:.1f} s after the start; answers by mode: {modes}")
    for label, part in (
        ("sent before it", [d - s for s, d in stats.searches if s < first]),
        ("sent after it", [d - s for s, d in stats.searches if s >= first]),
    ):
        if part:
            print(
                f"    search {label:<15} n {len(part):>5}  p50 {pct(part, 0.5):>7.0f}"
                f"  p95 {pct(part, 0.95):>7.0f}  p99 {pct(part, 0.99):>7.0f} ms"
            )


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc; 0 elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def report(users: int, seconds: float, stats: Stats) -> None:
    total = sum(len(v) for k, v in stats.latencies.items() if k not in NOT_STEPS)
    placed = len(stats.orders)
    print(f"\n{users} users, {seconds:.0f} s: {total / seconds:.0f} requests/s, {placed} orders placed")
    print(f"  {'step':<18} {'n':>6} {'per s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for step, lat in stats.latencies.items():
        if (step in NOT_STEPS and step != "order -> settled") or not lat:
            continue
        print(
            f"  {step:<18} {len(lat):>6} {len(lat) / seconds:>7.1f} {pct(lat, 0.5):>8.0f} "
            f"{pct(lat, 0.95):>8.0f} {pct(lat, 0.99):>8.0f} {stats.errors.get(step, 0):>6}"
        )


async def drain(shop: Shop, staff: str, stats: Stats, timeout: float) -> dict[str, str]:
    """Decide what still waits for review and wait until every order is final."""
    deadline = time.monotonic() + timeout
    statuses: dict[str, str] = {}
    while True:
        pending = [(oid, tok) for oid, _, tok in stats.orders if statuses.get(oid) not in FINAL]
        for oid, tok in pending:
            status, order = await shop.call("drain", "GET", f"/api/orders/{oid}", tok)
            if status == 200:
                statuses[oid] = order["status"]
                if order["status"] == "awaiting_review":
                    await shop.call(
                        "drain",
                        "POST",
                        f"/api/orders/{oid}/review",
                        staff,
                        {"decision": "approve"},
                        (202, 409),
                    )
        if all(statuses.get(oid) in FINAL for oid, _, _ in stats.orders) or time.monotonic() > deadline:
            return statuses
        await asyncio.sleep(0.5)


async def stock(shop: Shop, skus: set[str]) -> dict[str, tuple[int, int]]:
    levels = {}
    for sku in sorted(skus):
        status, body = await shop.call("stock", "GET", f"/api/inventory/{sku}")
        assert status == 200, body
        levels[sku] = (int(body["onHand"]), int(body["reserved"]))
    return levels


async def run_level(
    base: str, users: int, seconds: float, products: list[str], skus: dict[str, str], categories: list[str]
) -> tuple[Stats, dict[str, str], dict[str, tuple[int, int]], dict[str, tuple[int, int]]]:
    stats = Stats()
    connector = aiohttp.TCPConnector(limit=users + 8)
    timeout = aiohttp.ClientTimeout(total=60)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
        shop = Shop(session, base, stats)
        staff = await token(shop, "load-support", "support")
        before = await stock(shop, set(skus.values()))
        began = time.monotonic()
        began_perf = time.perf_counter()
        until = began + seconds
        await asyncio.gather(
            reviewer(shop, staff, until),
            *(shopper(shop, n, products, skus, categories, until) for n in range(users)),
        )
        elapsed = time.monotonic() - began
        report(users, min(elapsed, seconds), stats)
        search_report(stats, began_perf)
        statuses = await drain(shop, staff, stats, timeout=180)
        after = await stock(shop, set(skus.values()))
    return stats, statuses, before, after


def verify(
    stats: Stats,
    statuses: dict[str, str],
    before: dict[str, tuple[int, int]],
    after: dict[str, tuple[int, int]],
) -> list[str]:
    problems: list[str] = []
    unfinished = [oid for oid, _, _ in stats.orders if statuses.get(oid) not in FINAL]
    if unfinished:
        problems.append(f"{len(unfinished)} order(s) not final, e.g. {unfinished[:3]}")
    sold: dict[str, int] = defaultdict(int)
    for oid, sku, _ in stats.orders:
        if statuses.get(oid) in ("confirmed", "shipped"):
            sold[sku] += 1
    for sku, (on_hand, _) in before.items():
        now_on_hand, now_reserved = after[sku]
        if on_hand - sold[sku] != now_on_hand or now_reserved != 0 or now_on_hand < 0:
            problems.append(
                f"stock of {sku}: {on_hand} - {sold[sku]} sold != {now_on_hand} on hand"
                f" ({now_reserved} reserved)"
            )
    by_status: dict[str, int] = defaultdict(int)
    for oid, _, _ in stats.orders:
        by_status[statuses.get(oid, "?")] += 1
    print("  orders by final status: " + ", ".join(f"{k} {v}" for k, v in sorted(by_status.items())))
    return problems


def double_captures(data_dir: Path, order_ids: list[str]) -> int:
    """Orders with more than one approved capture in the sandbox ledger (read after devhost stopped)."""
    from shared.adapters.sqlite_documents import SqliteDocumentStore
    from shared.payments.sandbox import list_charges, sandbox_container

    ledger = sandbox_container(SqliteDocumentStore(data_dir / "documents.db"))
    captures: dict[str, int] = defaultdict(int)
    for charge in list_charges(ledger):
        if charge["operation"] == "capture" and charge["outcome"] == "approved":
            captures[str(charge["orderId"])] += 1
    return sum(1 for oid in order_ids if captures.get(oid, 0) > 1)


def start_devhost(root: Path, data_dir: str) -> tuple[subprocess.Popen[str], str]:
    """devhost of the tree at `root` (its code and cwd) over `data_dir`; returns (process, url)."""
    env = {**os.environ, "PYTHONPATH": str(root), "SC_LOG_LEVEL": "WARNING"}
    cmd = [sys.executable, "-m", "devhost", "start", "--port", "0", "--no-seed", "--data-dir", data_dir]
    return spawn(cmd, r"devhost listening on (http://\S+)", env, timeout=90, cwd=root)


def load_average() -> str:
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--users", type=int, nargs="+", default=[50, 200])
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--root",
        type=Path,
        nargs="+",
        default=[ROOT],
        help="run devhost from these trees, one after the other, each level (e.g. a main checkout"
        " then this one: a before/after in one session; the shoppers are this tree's)",
    )
    args = parser.parse_args()
    failed = False
    for users in args.users:
        for root in [r.resolve() for r in args.root]:
            failed = run_one(users, args.seconds, root) or failed
    return 1 if failed else 0


def run_one(users: int, seconds: float, root: Path) -> bool:
    """One level against a fresh devhost of `root`; True if a check failed."""
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        product_ids, categories = seed(data_dir)
        from shared.adapters.sqlite_documents import SqliteDocumentStore
        from shared.catalog.service import get_product

        store = SqliteDocumentStore(data_dir / "documents.db")
        skus = {pid: get_product(store=store, product_id=pid).value.sku for pid in product_ids}
        print(f"\n== devhost of {root}, {users} users, load average {load_average()} (1/5/15 min)")
        proc, url = start_devhost(root, tmp)
        cpu_before = cpu_seconds(proc.pid)
        try:
            stats, statuses, before, after = asyncio.run(
                run_level(url, users, seconds, product_ids, skus, categories)
            )
            cpu = cpu_seconds(proc.pid) - cpu_before
        finally:
            proc.terminate()
            proc.wait(30)
        requests = sum(len(v) for k, v in stats.latencies.items() if k not in NOT_STEPS)
        print(
            f"  devhost CPU {cpu:.1f} s over the level and drain ({cpu / max(requests, 1) * 1000:.1f} ms"
            f" per request); load average at the end {load_average()}"
        )
        problems = verify(stats, statuses, before, after)
        doubles = double_captures(data_dir, [oid for oid, _, _ in stats.orders])
        if doubles:
            problems.append(f"{doubles} order(s) captured twice")
        settled = stats.latencies.get("order -> settled", [])
        if settled:
            print(f"  order placed -> settled: p50 {statistics.median(settled) * 1000:.0f} ms")
        print(f"  double captures: {doubles}")
        for problem in problems:
            print(f"  FAIL {problem}")
        if not problems:
            print("  OK: every order final, stock adds up, no payment captured twice")
        return bool(problems)


if __name__ == "__main__":
    sys.exit(main())
