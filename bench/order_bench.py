"""Order workflow benchmark through devhost: orders per second and p50/p99 from `POST /orders` to
`confirmed`, with 1 and 20 concurrent clients, next to the durable engine's own 4-activity chain
measured in the same run (in-process, no HTTP), so the figures read as a ratio on this machine.

With 20 clients the whole product runs per order besides the workflow (outbox relay, the
notifications context rendering and sending the confirmation, the realtime hub), all in one
devhost process; a 100 ms poll gives the same figures, so polling is not what limits them.
Each client places an order and polls `GET /orders/{id}` until it is final (every 5 ms alone,
25 ms with 20 clients, so polling does not take the CPU the workflow needs). The order
workflow runs 4 activities (reserve, authorize + fraud check, capture, confirm + notification
request; 6 before round 4), each writing the order's stream, so it is expected to cost several
times the bare chain.
Every client buys its own sku (the distinct-sku runs, where orders do not contend on stock),
then all 20 buy one hot sku with ample stock (every reservation contends on one stock document),
checked afterwards for overselling: units sold = orders confirmed, nothing left reserved.
`python bench/order_bench.py [--orders 200]` (about two minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script
    sys.path.insert(0, str(ROOT))

from bench import durable_bench  # noqa: E402

READY = re.compile(r"devhost listening on (http://\S+)")


class Client:
    def __init__(self, base: str) -> None:
        self.base = base
        self.gets = 0  # GET requests sent (the clients' polling), for polls per order
        self._count = threading.Lock()

    def call(self, method: str, path: str, body: Any = None, token: str | None = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        if method == "GET":
            with self._count:
                self.gets += 1
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:
                raw = resp.read()
                return resp.status, json.loads(raw) if raw else None
        except urllib.error.HTTPError as err:
            return err.code, json.loads(err.read() or b"null")

    def token(self, sub: str, role: str) -> str:
        status, body = self.call("POST", "/api/dev/token", {"sub": sub, "roles": [role]})
        assert status == 200, body
        return str(body["accessToken"])


def start_devhost(data_dir: Path, workers: int | None = None) -> tuple[subprocess.Popen[bytes], str]:
    log = (data_dir / "devhost.log").open("wb")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "SC_LOG_LEVEL": "WARNING"}
    if workers is not None:  # devhost worker processes (docs/devhost.md); else the environment's
        env["FUNCTIONS_WORKER_PROCESS_COUNT"] = str(workers)
    proc = subprocess.Popen(
        [sys.executable, "-m", "devhost", "start", "--port", "0", "--data-dir", str(data_dir), "--no-seed"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        match = READY.search((data_dir / "devhost.log").read_text(errors="replace"))
        if match:
            return proc, match.group(1)
        if proc.poll() is not None:
            raise RuntimeError("devhost exited:\n" + (data_dir / "devhost.log").read_text(errors="replace"))
        time.sleep(0.05)
    proc.kill()
    raise RuntimeError("devhost did not start")


HOT_SKU = "BENCH-HOT"


def sku_of(n: int) -> str:
    return f"BENCH-{n}"


def setup_shop(api: Client, clients: int, stock: int) -> str:
    """One sku per client (the distinct-sku runs) plus one hot sku every client buys; each with
    `stock` units, so nothing runs out (an out-of-stock order would fail the run)."""
    admin = api.token("bench-admin", "admin")
    category = api.call("POST", "/api/categories", {"name": "Bench category"}, admin)[1]["id"]
    brand = api.call("POST", "/api/brands", {"name": "Bench brand"}, admin)[1]["id"]
    for sku in [sku_of(n) for n in range(clients)] + [HOT_SKU]:
        product = {
            "sku": sku,
            "name": f"Bench product {sku}",
            "categoryId": category,
            "brandId": brand,
            "price": {"amount": "9.99", "currency": "USD"},
        }
        status, created = api.call("POST", "/api/products", product, admin)
        assert status == 201, created
        status, levels = api.call(
            "POST", f"/api/inventory/{sku}/adjustments", {"delta": stock, "reason": "bench"}, admin
        )
        assert status in (200, 201), levels
    return admin


def customer(api: Client, n: int) -> tuple[str, dict[str, Any]]:
    token = api.token(f"bench-customer-{n}", "customer")
    card = {
        "cardNumber": "4242424242424242",
        "expMonth": 12,
        "expYear": 2031,
        "cvc": "123",
        "holderName": "B",
    }
    status, public = api.call("POST", "/api/payments/tokens", card, token)
    assert status == 201, public
    body = {
        "items": [{"sku": sku_of(n), "quantity": 1}],
        "paymentToken": public["token"],
        "shippingAddress": {"line1": "1 Main St", "city": "Springfield", "postalCode": "1", "country": "US"},
    }
    return token, body


def on_sku(client: tuple[str, dict[str, Any]], sku: str) -> tuple[str, dict[str, Any]]:
    token, body = client
    return token, {**body, "items": [{"sku": sku, "quantity": 1}]}


def stock_of(api: Client, sku: str) -> tuple[int, int]:
    status, levels = api.call("GET", f"/api/inventory/{sku}")
    assert status == 200, levels
    return int(levels["onHand"]), int(levels["reserved"])


def one_order(
    api: Client, token: str, body: dict[str, Any], poll: float = 0.005, timeout: float = 60.0
) -> float:
    began = time.perf_counter()
    status, accepted = api.call("POST", "/api/orders", body, token)
    assert status == 202, accepted
    order_id = accepted["orderId"]
    while time.perf_counter() - began < timeout:  # bounded: a stuck order fails the run, not hangs it
        status, order = api.call("GET", f"/api/orders/{order_id}", token=token)
        assert status == 200, order
        if order["status"] != "pending":
            assert order["status"] == "confirmed", order
            return time.perf_counter() - began
        time.sleep(poll)
    raise TimeoutError(f"order {order_id} still pending after {timeout:.0f}s")


def await_final(api: Client, token: str, order_id: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if api.call("GET", f"/api/orders/{order_id}", token=token)[1]["status"] != "pending":
            return
        time.sleep(0.05)
    raise TimeoutError(f"order {order_id} still pending after {timeout:.0f}s")


def cpu_split(pid: int) -> tuple[float, float]:
    """(user, system) CPU seconds of devhost so far: the process and its worker processes
    (FUNCTIONS_WORKER_PROCESS_COUNT; Linux /proc; zeros where there is none)."""
    user, system = _cpu_split_one(pid)
    for child in _children(pid):
        u, s = _cpu_split_one(child)
        user, system = user + u, system + s
    return user, system


def _children(pid: int) -> list[int]:
    pids: list[int] = []
    for path in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            pids += [int(p) for p in path.read_text().split()]
        except OSError:
            continue
    return pids


def _cpu_split_one(pid: int) -> tuple[float, float]:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0, 0.0
    tick = os.sysconf("SC_CLK_TCK")
    return int(fields[11]) / tick, int(fields[12]) / tick


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (Linux /proc; 0 where there is none)."""
    return sum(cpu_split(pid))


def settle(pid: int, timeout: float = 120.0) -> tuple[float, float]:
    """Wait until devhost (all its processes) is idle: under 5% of a core over half a second.
    Measurement hygiene, as in catalog_bench: creating the bench's products and stock sets off
    their events' consumers (each worker's search index rebuilt and saved after the products'
    events, its encoder loaded on first use; the relay), seconds of CPU that would otherwise be
    counted as the 1-client phase's; and the consumers work off the 20-client phase's events for a
    while after its last order, which would be counted as the GETs' cost. Returns (seconds
    waited, CPU seconds spent meanwhile)."""
    began, first = time.monotonic(), cpu_seconds(pid)
    last = first
    while time.monotonic() - began < timeout:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - last < 0.025:
            break
        last = now
    return time.monotonic() - began, cpu_seconds(pid) - first


def run_clients(
    api: Client, clients: list[tuple[str, dict[str, Any]]], total: int
) -> tuple[float, list[float]]:
    per_client = max(1, total // len(clients))
    # 20 clients polling every 5 ms would be 4,000 GETs/s competing with the workflow for 2 cores.
    poll = 0.005 if len(clients) == 1 else 0.025
    began = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        runs = pool.map(lambda c: [one_order(api, c[0], c[1], poll=poll) for _ in range(per_client)], clients)
        latencies = [x for run in runs for x in run]
    return time.perf_counter() - began, latencies


def row(name: str, conc: int, seconds: float, latencies: list[float]) -> tuple[str, float]:
    lat = sorted(latencies)
    p50, p99 = statistics.median(lat) * 1000, lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
    return f"{name:<22} {conc:>4} {len(lat):>5} {len(lat) / seconds:>9.1f} {p50:>9.1f} {p99:>9.1f}", p50


async def chain_figures(n: int) -> list[Any]:
    from devhost.durable import registry
    from devhost.durable.engine import Engine
    from devhost.index import FunctionIndex

    orchestrators, activities = registry.build(FunctionIndex.from_app(durable_bench.app))
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Path(tmp) / "durable.db", orchestrators, activities, max_activities=64)
        await engine.start()
        try:
            await durable_bench.scenario(engine, "chain4", 1, 3)  # warm-up
            return [await durable_bench.scenario(engine, "chain4", conc, max(conc, n)) for conc in (1, 20)]
        finally:
            await engine.stop()


def get_cost(api: Client, pid: int, token: str, order_id: str, total: int = 800) -> float:
    """devhost CPU seconds per `GET /orders/{id}` alone (16 clients; called on a final order with
    devhost idle, so nothing else runs meanwhile), to
    split the 20-client CPU per order into the clients' polling and the rest."""
    before = cpu_seconds(pid)
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(lambda _: api.call("GET", f"/api/orders/{order_id}", token=token), range(total)))
    return (cpu_seconds(pid) - before) / total


PROFILE_RATE = 50  # samples per second (`--profile-rate`)


def start_profile(pid: int, out: str | None) -> subprocess.Popen[bytes] | None:
    """py-spy on devhost for the 20-client phase only (`--profile out.raw`: collapsed stacks of the
    samples that held the GIL, i.e. devhost's CPU; the shares in docs/performance.md come from it)."""
    if not out:
        return None
    spy = Path(sys.executable).with_name("py-spy")
    args = [
        str(spy),
        "record",
        "-p",
        str(pid),
        "--gil",
        "-r",
        str(PROFILE_RATE),
        "--format",
        "raw",
        "-o",
        out,
    ]
    return subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop_profile(spy: subprocess.Popen[bytes] | None) -> None:
    if spy is not None:
        spy.send_signal(signal.SIGINT)  # py-spy writes its file on SIGINT
        spy.wait(60)


def main(orders: int, profile: str | None = None, workers: int | None = None) -> int:
    stock = orders * 4
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = start_devhost(Path(tmp), workers)
        try:
            api = Client(url)
            setup_shop(api, 20, stock)
            clients = [customer(api, n) for n in range(20)]
            one_order(api, *clients[0])  # warm-up
            waited_start, cpu_start = settle(proc.pid)
            cpu_single = cpu_seconds(proc.pid)
            single = run_clients(api, clients[:1], max(10, orders // 10))
            cpu_single = cpu_seconds(proc.pid) - cpu_single
            spy = start_profile(proc.pid, profile)
            cpu_before, gets_before, sys_before = cpu_seconds(proc.pid), api.gets, cpu_split(proc.pid)[1]
            twenty = run_clients(api, clients, orders)
            cpu_per_order = (cpu_seconds(proc.pid) - cpu_before) / len(twenty[1])
            sys_per_order = (cpu_split(proc.pid)[1] - sys_before) / len(twenty[1])
            polls_per_order = (api.gets - gets_before) / len(twenty[1])
            stop_profile(spy)
            waited_tail, cpu_tail = settle(proc.pid)  # the consumers' backlog of the phase
            token0, body0 = clients[0]
            status, placed = api.call("POST", "/api/orders", body0, token0)
            assert status == 202, placed
            await_final(api, token0, placed["orderId"])
            settle(proc.pid)
            cpu_per_get = get_cost(api, proc.pid, token0, placed["orderId"])
            hot_before = stock_of(api, HOT_SKU)
            hot = run_clients(api, [on_sku(c, HOT_SKU) for c in clients], orders)
            hot_after = stock_of(api, HOT_SKU)
        finally:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
    chain1, chain20 = asyncio.run(chain_figures(orders))
    print(f"{'scenario':<22} {'conc':>4} {'n':>5} {'per s':>9} {'p50 ms':>9} {'p99 ms':>9}")
    order1, p50_order1 = row("order POST->confirmed", 1, *single)
    order20, p50_order20 = row("order POST->confirmed", 20, *twenty)
    order_hot, _ = row("order, one hot sku", 20, *hot)
    base1, p50_chain1 = row("durable chain4", 1, chain1.seconds, chain1.latencies)
    base20, p50_chain20 = row("durable chain4", 20, chain20.seconds, chain20.latencies)
    for line in (order1, base1, order20, order_hot, base20):
        print(line)
    print(
        f"\np50 ratio order/chain4: {p50_order1 / p50_chain1:.1f}x at 1 client, "
        f"{p50_order20 / p50_chain20:.1f}x at 20 (order: 3 activities + HTTP + polling; chain4: "
        "4 trivial activities in-process)"
    )
    print(
        f"devhost CPU per order at 20 clients: {cpu_per_order * 1000:.1f} ms "
        f"(all of it: HTTP with the clients' polling, workflow, relay, consumers; "
        f"{sys_per_order * 1000:.1f} ms of it in the kernel)"
    )
    cores20 = cpu_per_order * len(twenty[1]) / twenty[0]
    print(
        f"devhost used {cpu_single / single[0]:.2f} of a core at 1 client "
        f"({cpu_single / len(single[1]) * 1000:.1f} ms per order) and {cores20:.2f} at 20 "
        "(one process: at most ~1.0 while the GIL is the limit; less when the machine is busy)"
    )
    print(
        f"  before the 1-client phase: {waited_start:.1f} s waited for devhost to be idle "
        f"({cpu_start:.2f} s of CPU: the set-up's events worked off); after the 20-client phase: "
        f"{waited_tail:.1f} s, {cpu_tail / len(twenty[1]) * 1000:.1f} ms per order not counted above "
        "(consumers still working off the phase's events)"
    )
    polling = polls_per_order * cpu_per_get
    print(
        f"  of which the clients' polling ~{polling * 1000:.1f} ms ({polls_per_order:.0f} GETs per order x "
        f"{cpu_per_get * 1000:.2f} ms per GET measured alone); the order itself (POST, workflow, "
        f"events) ~{(cpu_per_order - polling) * 1000:.1f} ms"
    )
    rate1 = len(single[1]) / single[0]
    rate20 = len(twenty[1]) / twenty[0]
    rate_hot = len(hot[1]) / hot[0]
    p99_20 = sorted(twenty[1])[min(len(twenty[1]) - 1, int(len(twenty[1]) * 0.99))]
    sold = hot_before[0] - hot_after[0]
    oversold = sold != len(hot[1]) or hot_after[0] < 0 or hot_after[1] != 0
    checks = [
        (f"20 clients / 1 client = {rate20 / rate1:.2f}x (target >= 2.5x)", rate20 / rate1 >= 2.5),
        (f"20 clients, distinct skus: {rate20:.1f} orders/s (target >= 60)", rate20 >= 60),
        (f"20 clients p99 {p99_20 * 1000:.0f} ms (target <= 1000)", p99_20 <= 1.0),
        (f"hot sku: {rate_hot:.1f} orders/s (target >= 20)", rate_hot >= 20),
        (
            f"hot sku stock: on hand {hot_before[0]} -> {hot_after[0]}, {sold} sold for "
            f"{len(hot[1])} confirmed orders, {hot_after[1]} still reserved (nothing oversold)",
            not oversold,
        ),
    ]
    print()
    for text, ok in checks:
        print(f"{'PASS' if ok else 'MISS'}  {text}")
    return 1 if oversold else 0  # a correctness failure fails the run; speed is reported


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200, help="orders placed by the 20 clients")
    parser.add_argument("--profile", metavar="OUT", help="py-spy the 20-client phase into OUT (raw stacks)")
    parser.add_argument("--profile-rate", type=int, default=PROFILE_RATE, help="py-spy samples per second")
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="devhost worker processes (FUNCTIONS_WORKER_PROCESS_COUNT; default: the environment's, else 1)",
    )
    args = parser.parse_args()
    PROFILE_RATE = args.profile_rate
    count = args.workers or os.environ.get("FUNCTIONS_WORKER_PROCESS_COUNT") or 1
    print(f"devhost worker processes: {count}")
    sys.exit(main(args.orders, args.profile, args.workers))
