"""`GET /api/recommendations` through devhost (16 clients), next to a trivial function through
devhost in the same run.

    .venv/bin/python bench/recs_api_bench.py [--requests 2000] [--concurrency 16] [--users 40]

Seeds a temporary data dir with the demo catalog (300 products), the demo shoppers'
interactions and the first recommendation model (devhost/seed_recommendations.py), then:
- ping:      bench/http_bench.py's trivial app (`GET /api/ping`) through devhost: the floor;
- me:        `GET /api/me` with the shoppers' tokens on the product devhost (same process, same
             pipeline: token check, profile hook, one profile read): the baseline of an
             authenticated route, measured in the same run;
- anonymous: `GET /api/recommendations` without a token (popularity);
- personal:  with the tokens of `--users` demo shoppers, each asking again within the history
             cache's second (the cached list: what a page with two widgets, or a reload, costs);
- personal-cold: all 400 demo shoppers in turn, so each request's history is read again, folded
             in through the ONNX graph, excluded and explained (the cost of a first request);
- product:   `?productId=` cycling over 100 products ("customers also bought");
- experiment: personal-cold while a 50/50 experiment runs (assignment + one queued exposure per
             new user, written by the background writer).
Prints requests/s, p50/p99 and each scenario's p50/p99 as a multiple of ping's and of me's. The
target is p99 <= 15 ms for `personal`.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_bench import Result, load, spawn  # noqa: E402
from devhost.seed_recommendations import SHOPPERS  # noqa: E402

DEVHOST = [sys.executable, "-m", "devhost", "start", "--port", "0", "--no-seed", "--data-dir"]
READY = r"devhost listening on (http://\S+)"


async def load_requests(
    name: str, requests: list[tuple[str, dict[str, str]]], total: int, concurrency: int, warmup: int
) -> Result:
    """Like http_bench.load over rotating (url, headers); an error is any status but 200."""
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    rotation = itertools.cycle(requests)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        for _ in range(warmup):
            url, headers = next(rotation)
            async with session.get(url, headers=headers) as r:
                await r.read()

        async def worker() -> None:
            nonlocal errors
            for _ in counter:
                url, headers = next(rotation)
                start = time.perf_counter()
                async with session.get(url, headers=headers) as r:
                    await r.read()
                latencies.append((time.perf_counter() - start) * 1000)
                errors += r.status != 200

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return Result(name, total, elapsed, latencies, errors)


def seed(data_dir: Path) -> list[str]:
    """Demo catalog, shoppers and the first model in data_dir; returns product ids."""
    os.environ["SC_DATA_DIR"] = str(data_dir)
    from devhost.demo_data import seed_catalog
    from devhost.seed_recommendations import seed_recommendations_into
    from shared.adapters.folder_blobs import FolderBlobStore
    from shared.adapters.sqlite_documents import SqliteDocumentStore
    from shared.catalog.schemas import ProductListQuery
    from shared.catalog.service import list_products

    store = SqliteDocumentStore(data_dir / "documents.db")
    seed_catalog(store=store, count=300)
    seed_recommendations_into(store, FolderBlobStore(data_dir / "blobs"))
    return [p.id for p in list_products(store=store, query=ProductListQuery(limit=100)).items]


def post(url: str, body: dict[str, object], token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return dict(json.loads(resp.read()))


def token(url: str, sub: str, roles: list[str]) -> str:
    return str(post(f"{url}/api/dev/token", {"sub": sub, "roles": roles})["accessToken"])


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--users", type=int, default=40)
    args = parser.parse_args()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as ping_dir:
        data_dir = Path(tmp)
        started = time.perf_counter()
        product_ids = seed(data_dir)
        print(f"seeded catalog, shoppers and model in {time.perf_counter() - started:.1f} s")
        ping, ping_url = spawn([*DEVHOST, ping_dir, "--app", "bench.http_bench:app"], READY, env)
        try:
            results.append(
                asyncio.run(
                    load("ping", ping_url + "/api/ping", args.requests, args.concurrency, args.warmup)
                )
            )
        finally:
            ping.terminate()
            ping.wait(10)
        dh, url = spawn([*DEVHOST, str(data_dir)], READY, env)
        try:
            base = f"{url}/api/recommendations"
            every = [
                {"Authorization": f"Bearer {token(url, f'demo-shopper-{n:04d}', ['customer'])}"}
                for n in range(SHOPPERS)
            ]
            auth = every[: args.users]
            scenarios: list[tuple[str, list[tuple[str, dict[str, str]]]]] = [
                ("me", [(f"{url}/api/me", h) for h in every]),
                ("anonymous", [(f"{base}?limit=20", {})]),
                ("personal", [(f"{base}?limit=20", h) for h in auth]),
                ("personal-cold", [(f"{base}?limit=20", h) for h in every]),
                ("product", [(f"{base}?productId={pid}&limit=10", {}) for pid in product_ids]),
            ]
            for name, requests in scenarios:
                # The first scenario's warm-up provisions every shopper's profile (the just-in-time
                # hook writes once per user): no scenario pays a first-request write.
                warmup = max(args.warmup, len(every)) if name == "me" else args.warmup
                results.append(
                    asyncio.run(load_requests(name, requests, args.requests, args.concurrency, warmup))
                )
            admin = token(url, "bench-admin", ["admin"])
            post(
                f"{url}/api/experiments",
                {
                    "name": f"bench-{int(time.time())}",
                    "target": "recommendations",
                    "variants": [{"name": "control", "weight": 1}, {"name": "treatment", "weight": 1}],
                },
                admin,
            )
            time.sleep(6)  # the running-experiment cache (RECS_EXPERIMENT_CACHE_SECONDS) expires
            requests = [(f"{base}?limit=20", h) for h in every]
            results.append(
                asyncio.run(load_requests("experiment", requests, args.requests, args.concurrency, 0))
            )
        finally:
            dh.terminate()
            dh.wait(20)
    floor, me = results[0], results[1]
    print(
        f"{args.requests} requests per scenario, {args.concurrency} concurrent, after {args.warmup} warm-up; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    for r in results:
        ratio = ""
        for base_result in (floor, me):
            if r is not base_result and not (r is floor and base_result is me):
                p50, p99 = r.pct(0.5) / base_result.pct(0.5), r.pct(0.99) / base_result.pct(0.99)
                ratio += f"   vs {base_result.name}: p50 {p50:.1f}x, p99 {p99:.1f}x"
        print(r.line().replace(r.name.ljust(8), r.name.ljust(14), 1) + ratio)
    return 1 if any(r.errors for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
