"""HTTP benchmark: a trivial function through devhost vs a bare aiohttp server, same run.

    .venv/bin/python bench/http_bench.py [--requests 3000] [--concurrency 16]

Both servers run as their own subprocess on 127.0.0.1 and answer `GET /api/ping` with "pong"; one
aiohttp client with N concurrent workers sends a bounded number of requests to each (after a
warm-up), and the script prints requests/s, p50 and p99 latency, each server's CPU time per
request (which a busy shared machine distorts far less than req/s), and devhost's ratio to the
bare server. The difference is devhost's cost: routing, building func.HttpRequest/HttpResponse, the
thread-pool hop for a sync function, and the invocation log line.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import azure.functions as func
from aiohttp import web

ROOT = Path(__file__).resolve().parents[1]

# The function devhost serves (`--app bench.http_bench:app`).
app = func.FunctionApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.route("ping", methods=["GET"])
def ping(req: func.HttpRequest) -> func.HttpResponse:
    return func.HttpResponse("pong")


def run_bare_server() -> None:
    """The baseline: aiohttp answering the same URL with the same body, nothing else."""

    async def handler(request: web.Request) -> web.Response:
        return web.Response(text="pong")

    bare = web.Application()
    bare.router.add_get("/api/ping", handler)
    sock_port = int(os.environ.get("BENCH_PORT", "0"))

    async def main() -> None:
        runner = web.AppRunner(bare, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", sock_port)
        await site.start()
        print(f"bare listening on http://127.0.0.1:{runner.addresses[0][1]}", flush=True)
        await asyncio.Event().wait()

    asyncio.run(main())


@dataclass
class Result:
    name: str
    requests: int
    seconds: float
    latencies_ms: list[float]
    errors: int

    @property
    def rps(self) -> float:
        return self.requests / self.seconds

    def pct(self, p: float) -> float:
        data = sorted(self.latencies_ms)
        return data[min(len(data) - 1, int(p * len(data)))]

    def line(self) -> str:
        return (
            f"{self.name:8s} {self.rps:8.0f} req/s   p50 {self.pct(0.5):6.2f} ms"
            f"   p99 {self.pct(0.99):6.2f} ms   mean {statistics.fmean(self.latencies_ms):6.2f} ms"
            f"   errors {self.errors}"
        )


async def load(name: str, url: str, total: int, concurrency: int, warmup: int) -> Result:
    latencies: list[float] = []
    errors = 0
    counter = iter(range(total))
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency)) as session:
        for _ in range(warmup):
            async with session.get(url) as r:
                await r.read()

        async def worker() -> None:
            nonlocal errors
            for _ in counter:  # shared iterator: exactly `total` requests in all
                start = time.perf_counter()
                async with session.get(url) as r:
                    body = await r.read()
                latencies.append((time.perf_counter() - start) * 1000)
                if r.status != 200 or body != b"pong":
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return Result(name, total, elapsed, latencies, errors)


def spawn(
    cmd: list[str], pattern: str, env: dict[str, str], timeout: float = 40.0, cwd: Path = ROOT
) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        cmd, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        m = re.search(pattern, line)
        if m:
            return proc, m.group(1)
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit(f"{cmd} did not start")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else "")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--bare-server", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_server:
        run_bare_server()
        return 0

    sys.path.insert(0, str(ROOT))
    from bench.order_bench import cpu_seconds

    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # default logging: the log line is part of the cost
    procs: list[subprocess.Popen[str]] = []
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            dh, dh_url = spawn(
                [
                    sys.executable,
                    "-m",
                    "devhost",
                    "start",
                    "--port",
                    "0",
                    "--no-seed",
                    "--data-dir",
                    data_dir,
                    "--app",
                    "bench.http_bench:app",
                ],
                r"devhost listening on (http://\S+)",
                env,
            )
            procs.append(dh)
            bare, bare_url = spawn(
                [sys.executable, str(Path(__file__)), "--bare-server"], r"bare listening on (http://\S+)", env
            )
            procs.append(bare)
            print(f"{args.requests} requests, {args.concurrency} concurrent, after {args.warmup} warm-up")
            cpu_ms: dict[str, float] = {}
            runs: dict[str, Result] = {}
            for name, proc, url in (("bare", bare, bare_url), ("devhost", dh, dh_url)):
                before = cpu_seconds(proc.pid)
                runs[name] = asyncio.run(
                    load(name, url + "/api/ping", args.requests, args.concurrency, args.warmup)
                )
                cpu_ms[name] = (cpu_seconds(proc.pid) - before) / (args.requests + args.warmup) * 1000
            base, host = runs["bare"], runs["devhost"]
    finally:
        for p in procs:
            p.terminate()
            p.wait(10)
    print(base.line() + f"   CPU {cpu_ms['bare']:.3f} ms/req")
    print(host.line() + f"   CPU {cpu_ms['devhost']:.3f} ms/req")
    print(
        f"ratio devhost/bare: throughput {host.rps / base.rps:.2f}x   "
        f"p50 {host.pct(0.5) / base.pct(0.5):.2f}x   p99 {host.pct(0.99) / base.pct(0.99):.2f}x   "
        f"CPU per request {cpu_ms['devhost'] / cpu_ms['bare']:.2f}x; "
        f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores"
    )
    return 1 if host.errors or base.errors else 0


if __name__ == "__main__":
    sys.exit(main())
