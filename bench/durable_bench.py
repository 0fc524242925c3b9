"""Durable engine benchmark: a 4-activity chain and a 100-way fan-out, 1 and 50 instances at once.

Prints per scenario: orchestrations per second, p50/p99 start-to-completion latency, episodes
per orchestration, and per episode the time spent inside the SDK's replay (`handle`) next to the
engine's own time (SQLite reads, diff, commit) — both measured in the same run. Activities are
trivial sync functions run in worker threads, as devhost runs them. Runs in well under two
minutes on 2 cores: `python bench/durable_bench.py [--scale 1.0]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: `python bench/durable_bench.py`
    sys.path.insert(0, str(ROOT))

import azure.durable_functions as df  # noqa: E402
import azure.functions as func  # noqa: E402

from devhost.durable import registry  # noqa: E402
from devhost.durable.engine import Engine  # noqa: E402
from devhost.index import FunctionIndex  # noqa: E402

app = df.DFApp(http_auth_level=func.AuthLevel.ANONYMOUS)


@app.activity_trigger(input_name="value")
def bump(value: int) -> int:
    return value + 1


@app.orchestration_trigger(context_name="context")
def chain4(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    value = 0
    for _ in range(4):
        value = yield context.call_activity("bump", value)
    return value


@app.orchestration_trigger(context_name="context")
def fan100(context: df.DurableOrchestrationContext):  # type: ignore[no-untyped-def]
    results = yield context.task_all([context.call_activity("bump", i) for i in range(100)])
    return sum(results)


@dataclass
class Result:
    name: str
    concurrency: int
    instances: int
    seconds: float
    latencies: list[float]
    episodes: int
    handle_seconds: float
    engine_seconds: float

    def row(self) -> str:
        lat = sorted(self.latencies)
        p50 = statistics.median(lat) * 1000
        p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000
        per_ep = max(self.episodes, 1)
        rate = self.instances / self.seconds
        return (
            f"{self.name:<12} {self.concurrency:>4} {self.instances:>6} {rate:>9.1f} "
            f"{p50:>8.1f} {p99:>8.1f} {self.episodes / self.instances:>8.1f} "
            f"{self.handle_seconds / per_ep * 1000:>10.3f} {self.engine_seconds / per_ep * 1000:>10.3f}"
        )


async def scenario(engine: Engine, name: str, concurrency: int, total: int) -> Result:
    """A closed loop: keep `concurrency` instances in flight until `total` have completed."""
    loop = asyncio.get_running_loop()
    done: dict[str, asyncio.Future[str]] = {}
    engine.on_finished = lambda iid, status: done[iid].set_result(status) if iid in done else None
    before = (engine.stats.episodes, engine.stats.handle_seconds, engine.stats.engine_seconds)
    latencies: list[float] = []
    slots = asyncio.Semaphore(concurrency)

    async def one(i: int) -> None:
        async with slots:
            iid = f"{name}-{concurrency}-{i}"
            done[iid] = loop.create_future()
            began = time.perf_counter()
            engine.start_new(name, iid, None)
            status = await asyncio.wait_for(done[iid], 60)
            assert status == "Completed", (iid, status, engine.status(iid))
            latencies.append(time.perf_counter() - began)

    began = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(total)))
    elapsed = time.perf_counter() - began
    s = engine.stats
    return Result(
        name,
        concurrency,
        total,
        elapsed,
        latencies,
        s.episodes - before[0],
        s.handle_seconds - before[1],
        s.engine_seconds - before[2],
    )


async def main(scale: float) -> None:
    orchestrators, activities = registry.build(FunctionIndex.from_app(app))
    plan = [("chain4", 1, 30), ("chain4", 50, 300), ("fan100", 1, 5), ("fan100", 50, 60)]
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(Path(tmp) / "durable.db", orchestrators, activities, max_activities=64)
        await engine.start()
        try:
            await scenario(engine, "chain4", 1, 3)  # warm-up: imports, first SQLite pages
            print(
                f"{'scenario':<12} {'conc':>4} {'n':>6} {'orch/s':>9} {'p50 ms':>8} {'p99 ms':>8} "
                f"{'ep/orch':>8} {'sdk ms/ep':>10} {'eng ms/ep':>10}"
            )
            for name, concurrency, total in plan:
                result = await scenario(engine, name, concurrency, max(concurrency, int(total * scale)))
                print(result.row(), flush=True)
        finally:
            await engine.stop()
    print(
        "\nsdk ms/ep: inside the SDK's replay (handle) per episode; eng ms/ep: the engine's own work per "
        "episode (SQLite reads, diff, one commit). Fan-out completions are batched into few episodes."
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiply the number of orchestrations")
    asyncio.run(main(parser.parse_args().scale))
