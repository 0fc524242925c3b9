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
- personal-cold: `--cold-users` more shoppers (seeded like the demo ones; 1500, one request
             each), each asked once, so every request's history is read, folded in through the
             ONNX graph, excluded and explained (the cost of a user's first request);
- product:   `?productId=` cycling over 100 products ("customers also bought");
- experiment: personal-cold (the next `--cold-users` shoppers) while a 50/50 experiment runs:
             assignment + one queued exposure per request, written by the background writer.
Prints requests/s, p50/p99, the devhost process's CPU time per request (user + system, /proc: the
load-insensitive figure; the client's CPU is not in it) and each scenario's p50/p99 as a multiple
of ping's and of me's; `--tail` adds where in time the slowest 1 % fell (start offsets modulo the
history cache's second). The target is p99 <= 15 ms for `personal`.

`--in-process` runs no HTTP at all, two load-insensitive probes on the seeded shop instead:
- burst: the 40 users of `personal` in turn for 4 s (~1,400 requests/s): how many lists were
  computed (fold-in + ONNX + render) and the busiest 50 ms window's service CPU (a burst of
  recomputations queued together is what a request arriving then waits behind);
- gc: 3,000 unseen shoppers one request each after `import function_app`: CPU per cold request,
  garbage collections per generation and their time (`gc.callbacks`), tracked objects after;
- refresh: five background refreshes of the catalog snapshot, the refresh thread's CPU clock read
  every 0.5 ms: its CPU in all and in its busiest 10 ms of wall time (what a request arriving
  then waits behind).
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
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_bench import Result, spawn  # noqa: E402
from bench.order_bench import cpu_seconds  # noqa: E402
from devhost.seed_recommendations import SHOPPERS  # noqa: E402

DEVHOST = [sys.executable, "-m", "devhost", "start", "--port", "0", "--no-seed", "--data-dir"]
READY = r"devhost listening on (http://\S+)"


@dataclass
class Measured:
    result: Result
    cpu_ms: float  # devhost CPU per request (user + system), warm-up excluded
    starts: list[float] = field(default_factory=list)  # offsets from the scenario's start, s
    began: float = 0.0  # the scenario's start, time.perf_counter() (CLOCK_MONOTONIC: devhost's too)
    elapsed: float = 0.0

    def tail(self, period: float = 1.0, bins: int = 10) -> str:
        """Where the slowest 1 % started: a histogram of (offset mod period), and how many
        distinct 50 ms windows they fall in (a burst is few windows)."""
        lat = self.result.latencies_ms
        cut = self.result.pct(0.99)
        slow = [t for t, ms in zip(self.starts, lat, strict=True) if ms >= cut]
        hist = [0] * bins
        for t in slow:
            hist[int((t % period) / period * bins) % bins] += 1
        windows = len({int(t / 0.05) for t in slow})
        span = f"; started {min(slow):.3f}-{max(slow):.3f} s in" if slow else ""
        return (
            f"slowest {len(slow)} by start mod {period:g} s: {hist}; in {windows} windows of 50 ms"
            f"{span} (of {self.elapsed:.2f} s)"
        )

    def stalls(self, events: list[tuple[str, int, float, float]]) -> str:
        """devhost's garbage collections and late wake-ups (bench/stall_probe) during this
        scenario, and how many of the slowest 1 % were in flight when one began."""
        end = self.began + self.elapsed
        inside = [e for e in events if self.began <= e[2] <= end]
        lat, cut = self.result.latencies_ms, self.result.pct(0.99)
        slow = [
            (self.began + t, self.began + t + ms / 1000)
            for t, ms in zip(self.starts, lat, strict=True)
            if ms >= cut
        ]
        parts = []
        for gen in range(3):
            ms = [e[3] for e in inside if e[0] == "gc" and e[1] == gen]
            if ms:
                parts.append(f"gen{gen} {len(ms)} ({sum(ms):.1f} ms, longest {max(ms):.1f})")
        late = [e[3] for e in inside if e[0] == "late"]
        parts.append(f"late wake-ups > 2 ms {len(late)} (longest {max(late, default=0):.1f} ms)")
        big = [e for e in inside if (e[0] == "gc" and e[1] > 0) or e[0] == "late"]
        hit = sum(any(a <= e[2] <= b for e in big) for a, b in slow)
        return "; ".join(parts) + f"; slowest in flight at a gen1/2 gc or late wake-up: {hit}/{len(slow)}"


async def load_requests(
    name: str,
    requests: list[tuple[str, dict[str, str]]],
    total: int,
    concurrency: int,
    warmup: int,
    pid: int,
) -> Measured:
    """Like http_bench.load over rotating (url, headers); an error is any status but 200."""
    latencies: list[float] = []
    starts: list[float] = []
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
                starts.append(start - began)
                errors += r.status != 200

        cpu = cpu_seconds(pid)
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
        cpu = cpu_seconds(pid) - cpu
    return Measured(
        Result(name, total, elapsed, latencies, errors), cpu / total * 1000, starts, began, elapsed
    )


def seed(data_dir: Path, extra_shoppers: int = 0) -> list[str]:
    """Demo catalog, shoppers and the first model in data_dir, then `extra_shoppers` more
    shoppers seeded the same way (after training: users the model never saw); returns product ids."""
    os.environ["SC_DATA_DIR"] = str(data_dir)
    from devhost.demo_data import seed_catalog
    from devhost.seed_recommendations import seed_interactions, seed_recommendations_into
    from shared.adapters.folder_blobs import FolderBlobStore
    from shared.adapters.sqlite_documents import SqliteDocumentStore
    from shared.catalog.schemas import ProductListQuery
    from shared.catalog.service import list_products

    store = SqliteDocumentStore(data_dir / "documents.db")
    seed_catalog(store=store, count=300)
    seed_recommendations_into(store, FolderBlobStore(data_dir / "blobs"))
    if extra_shoppers:
        seed_interactions(store, shoppers=SHOPPERS + extra_shoppers)
    return [p.id for p in list_products(store=store, query=ProductListQuery(limit=100)).items]


def post(url: str, body: dict[str, object], token: str | None = None) -> dict[str, object]:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers, method="POST")
    with urllib.request.urlopen(req, timeout=30) as resp:
        return dict(json.loads(resp.read()))


def token(url: str, sub: str, roles: list[str]) -> str:
    return str(post(f"{url}/api/dev/token", {"sub": sub, "roles": roles})["accessToken"])


def shopper_tokens(url: str, data_dir: Path, subs: list[str]) -> list[str]:
    """Customer tokens for `subs`: one minted by devhost, the rest signed here with the data dir's
    key and that token's claims (devhost's `/api/dev/token` parses the PEM key on every call, ~60
    ms of its CPU each: thousands of shoppers would take minutes and skew the CPU figures)."""
    import jwt
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    from shared.kernel.devkeys import dev_signing_key

    first = token(url, subs[0], ["customer"])
    header, claims = jwt.get_unverified_header(first), jwt.decode(first, options={"verify_signature": False})
    key = serialization.load_pem_private_key(dev_signing_key(data_dir).private_pem, password=None)
    assert isinstance(key, rsa.RSAPrivateKey)
    return [first] + [
        jwt.encode({**claims, "sub": sub}, key, algorithm=header["alg"], headers={"kid": header["kid"]})
        for sub in subs[1:]
    ]


def refresh_cpu(view: Any, window: float = 0.010) -> tuple[float, float, float]:
    """Start a background refresh of the catalog snapshot and read its thread's CPU clock every
    ~0.5 ms until it ends: (CPU in all, CPU in the busiest `window` s of wall time, wall), ms."""
    import threading

    view.items()
    view.invalidate()
    view.items()
    thread = next(t for t in threading.enumerate() if t.name == "recs-catalog-refresh")
    assert thread.ident is not None
    clock = time.pthread_getcpuclockid(thread.ident)
    samples: list[tuple[float, float]] = []
    while thread.is_alive():
        try:
            samples.append((time.perf_counter(), time.clock_gettime(clock)))
        except OSError:  # the thread ended between the check and the read
            break
        time.sleep(0.0005)
    if len(samples) < 2:
        return 0.0, 0.0, 0.0
    busiest, start = 0.0, 0
    for at, cpu in samples:
        while at - samples[start][0] > window:
            start += 1
        busiest = max(busiest, cpu - samples[start][1])
    return (
        (samples[-1][1] - samples[0][1]) * 1000,
        busiest * 1000,
        (samples[-1][0] - samples[0][0]) * 1000,
    )


def in_process_probes(users: int) -> None:
    import gc

    with tempfile.TemporaryDirectory() as tmp:
        seed(Path(tmp), 3000)
        import function_app  # noqa: F401  # the whole app's heap, as devhost holds it
        from shared.composition import get_recs_deps
        from shared.recommendations import service

        deps = get_recs_deps()
        warm = [service.Caller(f"demo-shopper-{n:04d}", None) for n in range(users)]
        live = deps.scorers.current()
        assert live is not None
        scorer: Any = live.scorer
        computed = 0
        real = scorer.recommend_from

        def counting(*args: Any, **kwargs: Any) -> Any:
            nonlocal computed
            computed += 1
            return real(*args, **kwargs)

        scorer.recommend_from = counting
        for caller in warm * 2:
            service.recommend(deps, caller)
        computed, windows, served = 0, dict[int, float](), 0
        began = time.perf_counter()
        while time.perf_counter() - began < 4.0:
            cpu, at = time.process_time(), time.perf_counter()
            service.recommend(deps, warm[served % len(warm)])
            served += 1
            slot = int((at - began) / 0.05)
            windows[slot] = windows.get(slot, 0.0) + time.process_time() - cpu
            time.sleep(0.0007)
        del scorer.recommend_from
        print(
            f"burst: {served} requests of {len(warm)} users in 4 s; lists computed {computed} "
            f"({computed / 4:.0f}/s); busiest 50 ms window {max(windows.values()) * 1000:.1f} ms of CPU"
        )
        gc.collect()
        timings: list[tuple[int, float]] = []
        started = [0.0]

        def on_gc(phase: str, info: dict[str, int]) -> None:
            if phase == "start":
                started[0] = time.perf_counter()
            else:
                timings.append((info["generation"], (time.perf_counter() - started[0]) * 1000))

        gc.callbacks.append(on_gc)
        cpu = time.process_time()
        for n in range(SHOPPERS, SHOPPERS + 3000):
            service.recommend(deps, service.Caller(f"demo-shopper-{n:04d}", None))
        cpu = time.process_time() - cpu
        gc.callbacks.remove(on_gc)
        per_gen = ", ".join(
            f"gen{g} {len(t)} ({sum(t):.0f} ms, longest {max(t, default=0):.0f})"
            for g in range(3)
            for t in [[ms for gen, ms in timings if gen == g]]
        )
        print(
            f"gc: 3000 cold requests {cpu / 3000 * 1000:.2f} ms CPU each; collections {per_gen}; "
            f"tracked objects after {len(gc.get_objects())}; load average {os.getloadavg()[0]:.1f}"
        )
        runs = [refresh_cpu(deps.catalog) for _ in range(5)]
        print(
            "refresh: catalog snapshot in the background, CPU in all "
            + ", ".join(f"{total:.1f}" for total, _, _ in runs)
            + " ms over "
            + ", ".join(f"{wall:.0f}" for _, _, wall in runs)
            + " ms; busiest 10 ms window "
            + ", ".join(f"{busiest:.1f}" for _, busiest, _ in runs)
            + f" ms of CPU; load average {os.getloadavg()[0]:.1f}"
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument(
        "--cold-users", type=int, default=0, help="users (= requests) per cold scenario (default 1500)"
    )
    parser.add_argument("--tail", action="store_true", help="print where the slowest 1 %% fell in time")
    parser.add_argument(
        "--stalls", action="store_true", help="log devhost's gc pauses and late wake-ups (bench/stall_probe)"
    )
    parser.add_argument(
        "--freeze",
        action="store_true",
        help="with --stalls, an experiment: devhost calls gc.freeze() after every full collection",
    )
    parser.add_argument("--in-process", action="store_true", help="the burst and gc probes, no HTTP")
    args = parser.parse_args()
    if args.in_process:
        in_process_probes(args.users)
        return 0
    # Every shopper's token stays in devhost's verified-token cache (4096, shared/http/auth.py):
    # 400 + 2 x 1500 of them at most by default.
    cold_users = args.cold_users or min(args.requests, 1500)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    stall_log = Path(tempfile.mkstemp(prefix="recs-stalls-")[1]) if args.stalls else None
    if stall_log is not None:
        env.update(
            PYTHONPATH=f"{ROOT / 'bench' / 'stall_probe'}{os.pathsep}{ROOT}", SC_STALL_LOG=str(stall_log)
        )
    results: list[Measured] = []
    with tempfile.TemporaryDirectory() as tmp, tempfile.TemporaryDirectory() as ping_dir:
        data_dir = Path(tmp)
        started = time.perf_counter()
        product_ids = seed(data_dir, 2 * cold_users)
        print(f"seeded catalog, shoppers and model in {time.perf_counter() - started:.1f} s")
        ping, ping_url = spawn([*DEVHOST, ping_dir, "--app", "bench.http_bench:app"], READY, env)
        try:
            results.append(
                asyncio.run(
                    load_requests(
                        "ping",
                        [(ping_url + "/api/ping", {})],
                        args.requests,
                        args.concurrency,
                        args.warmup,
                        ping.pid,
                    )
                )
            )
        finally:
            ping.terminate()
            ping.wait(10)
        dh, url = spawn([*DEVHOST, str(data_dir)], READY, env)
        try:
            base = f"{url}/api/recommendations"
            subs = [f"demo-shopper-{n:04d}" for n in range(SHOPPERS + 2 * cold_users)]
            every = [{"Authorization": f"Bearer {t}"} for t in shopper_tokens(url, data_dir, subs)]
            auth = every[: args.users]
            cold, cold_experiment = every[SHOPPERS : SHOPPERS + cold_users], every[SHOPPERS + cold_users :]
            scenarios: list[tuple[str, list[tuple[str, dict[str, str]]]]] = [
                ("me", [(f"{url}/api/me", h) for h in every]),
                ("anonymous", [(f"{base}?limit=20", {})]),
                ("personal", [(f"{base}?limit=20", h) for h in auth]),
                ("personal-cold", [(f"{base}?limit=20", h) for h in cold]),
                ("product", [(f"{base}?productId={pid}&limit=10", {}) for pid in product_ids]),
            ]
            for name, requests in scenarios:
                # The first scenario's warm-up provisions every shopper's profile (the just-in-time
                # hook writes once per user): no scenario pays a first-request write. The cold
                # scenarios skip their warm-up (it would spend their users).
                warmup = max(args.warmup, len(every)) if name == "me" else args.warmup
                total = args.requests
                if name == "personal-cold":
                    warmup, total = 0, min(total, len(requests))
                results.append(
                    asyncio.run(load_requests(name, requests, total, args.concurrency, warmup, dh.pid))
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
            requests = [(f"{base}?limit=20", h) for h in cold_experiment]
            total = min(args.requests, len(requests))
            results.append(
                asyncio.run(load_requests("experiment", requests, total, args.concurrency, 0, dh.pid))
            )
        finally:
            dh.terminate()
            dh.wait(20)
    events: list[tuple[str, int, float, float]] = []
    if stall_log is not None:
        time.sleep(0.1)
        for line in stall_log.read_text().splitlines():
            kind, *rest = line.split()
            if kind == "freeze":
                continue
            if kind == "gc":
                events.append((kind, int(rest[0]), float(rest[1]), float(rest[2])))
            else:
                events.append((kind, 0, float(rest[0]), float(rest[1])))
        stall_log.unlink()
    floor, me = results[0].result, results[1].result
    print(
        f"{args.requests} requests per scenario ({min(args.requests, cold_users)} in the cold ones, "
        "without warm-up), "
        f"{args.concurrency} concurrent, after {args.warmup} warm-up; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    for measured in results:
        r = measured.result
        ratio = f"   cpu {measured.cpu_ms:5.2f} ms/req"
        for base_result in (floor, me):
            if r is not base_result and not (r is floor and base_result is me):
                p50, p99 = r.pct(0.5) / base_result.pct(0.5), r.pct(0.99) / base_result.pct(0.99)
                ratio += f"   vs {base_result.name}: p50 {p50:.1f}x, p99 {p99:.1f}x"
        print(r.line().replace(r.name.ljust(8), r.name.ljust(14), 1) + ratio)
        if args.tail:
            print(f"{'':14s} {measured.tail()}")
        if stall_log is not None:
            print(f"{'':14s} {measured.stalls(events)}")
    return 1 if any(m.result.errors for m in results) else 0


if __name__ == "__main__":
    sys.exit(main())
