"""Catalog read benchmark through devhost, next to the bare aiohttp ceiling measured in the same run.

    .venv/bin/python bench/catalog_bench.py [--requests 2000] [--concurrency 16]

Seeds the demo catalog (300 products) into a temporary data dir, then measures with one aiohttp
client and N concurrent workers:
- bare:        bench/http_bench.py's bare aiohttp server (`GET /api/ping`): the ceiling;
- product:     `GET /api/products/{id}` cycling over 100 products;
- listing:     `GET /api/products?category=..&minPrice=..&maxPrice=..` cycling over 9 categories;
each through devhost twice: with the in-process cache (`CATALOG_CACHE_TTL_SECONDS=60`) and without
it (`=0`, and `CATALOG_LISTING_STOCK_TTL_SECONDS=0`: every read goes to SQLite, the listing's
stock included). Devhost first works off the seeded catalog's events; each scenario is measured
once it is idle. Prints requests/s, p50/p99, each figure's ratio to bare, and each server's CPU
time per measured request (warm-up excluded), which a busy shared machine does not distort as it
does req/s.
The load generator, result type and bare server are http_bench's, reused rather than copied.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import sys
import tempfile
import time
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_bench import Result, load, spawn  # noqa: E402
from bench.order_bench import cpu_seconds  # noqa: E402


async def load_urls(name: str, urls: list[str], total: int, concurrency: int, warmup: int) -> Result:
    """Like http_bench.load, over a rotating list of URLs; an error is any status but 200."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    rotation = itertools.cycle(urls)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        for _ in range(warmup):
            async with session.get(next(rotation)) as r:
                await r.read()

        async def worker() -> None:
            nonlocal errors
            for _ in counter:
                start = time.perf_counter()
                async with session.get(next(rotation)) as r:
                    await r.read()
                latencies.append((time.perf_counter() - start) * 1000)
                errors += r.status != 200

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return Result(name, total, elapsed, latencies, errors)


def settle(pid: int, timeout: float = 60.0) -> float:
    """Wait until devhost is idle (under 5% of a core over half a second): it works off the seeded
    catalog's events (search index, relay) after start-up, which would otherwise be counted as the
    first scenario's CPU. Returns the seconds waited."""
    began = time.monotonic()
    last = cpu_seconds(pid)
    while time.monotonic() - began < timeout:
        time.sleep(0.5)
        now = cpu_seconds(pid)
        if now - last < 0.025:
            break
        last = now
    return time.monotonic() - began


def seed(data_dir: Path) -> tuple[list[str], list[str]]:
    """The demo catalog in data_dir; returns product ids and category ids to request."""
    os.environ["SC_DATA_DIR"] = str(data_dir)
    from devhost.demo_data import DEPARTMENTS, seed_catalog
    from shared.adapters.sqlite_documents import SqliteDocumentStore
    from shared.catalog.schemas import ProductListQuery
    from shared.catalog.service import list_products

    store = SqliteDocumentStore(data_dir / "documents.db")
    seed_catalog(store=store, count=300)
    ids = [p.id for p in list_products(store=store, query=ProductListQuery(limit=100)).items]
    return ids, [f"cat-{d.key}" for d in DEPARTMENTS]


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=100)
    args = parser.parse_args()
    results: list[Result] = []
    # devhost's CPU time per request: unlike req/s it does not depend on how much of a shared
    # machine the servers and the load generator get (docs/performance.md).
    cpu_ms: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        product_ids, categories = seed(data_dir)
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        bare, bare_url = spawn(
            [sys.executable, str(ROOT / "bench" / "http_bench.py"), "--bare-server"],
            r"bare listening on (http://\S+)",
            env,
        )
        try:
            before = cpu_seconds(bare.pid)
            results.append(
                asyncio.run(
                    load("bare", bare_url + "/api/ping", args.requests, args.concurrency, args.warmup)
                )
            )
            cpu_ms["bare"] = (cpu_seconds(bare.pid) - before) / (args.requests + args.warmup) * 1000
        finally:
            bare.terminate()
            bare.wait(10)
        for label, ttl in (("cached", "60"), ("uncached", "0")):
            cmd = [
                sys.executable,
                "-m",
                "devhost",
                "start",
                "--port",
                "0",
                "--no-seed",
                "--data-dir",
                str(data_dir),
            ]
            # Uncached: the listing's page-with-stock cache (1 s) off too, so every read hits SQLite.
            stock_ttl = "1" if ttl != "0" else "0"
            caches = {"CATALOG_CACHE_TTL_SECONDS": ttl, "CATALOG_LISTING_STOCK_TTL_SECONDS": stock_ttl}
            dh, url = spawn(cmd, r"devhost listening on (http://\S+)", {**env, **caches})
            try:
                settle(dh.pid)
                product_urls = [f"{url}/api/products/{pid}" for pid in product_ids]
                list_urls = [
                    f"{url}/api/products?category={c}&minPrice=10&maxPrice=150&limit=20" for c in categories
                ]
                for name, urls in ((f"product/{label}", product_urls), (f"list/{label}", list_urls)):
                    # Warm-up first and apart: the CPU per request then counts measured requests
                    # only (not devhost's first-request imports and start-up work).
                    asyncio.run(load_urls(name, urls, args.warmup, args.concurrency, 0))
                    before = cpu_seconds(dh.pid)
                    results.append(asyncio.run(load_urls(name, urls, args.requests, args.concurrency, 0)))
                    cpu_ms[name] = (cpu_seconds(dh.pid) - before) / args.requests * 1000
            finally:
                dh.terminate()
                dh.wait(20)
    base = results[0]
    print(
        f"{args.requests} requests per scenario, {args.concurrency} concurrent, after {args.warmup} warm-up; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    for r in results:
        ratio = (
            ""
            if r is base
            else f"   vs bare: {r.rps / base.rps:.2f}x req/s, p99 {r.pct(0.99) / base.pct(0.99):.1f}x"
        )
        cpu = f"   CPU {cpu_ms[r.name]:.3f} ms/req"
        if r is not base:
            cpu = (
                f"   devhost CPU {cpu_ms[r.name]:.3f} ms/req ({cpu_ms[r.name] / cpu_ms['bare']:.1f}x bare's)"
            )
        print(r.line().replace(r.name.ljust(8), r.name.ljust(16), 1) + ratio + cpu)
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
