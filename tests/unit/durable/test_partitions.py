"""Orchestration partitions over worker processes (devhost/durable/partitions.py): each engine
runs the episodes of its own partition, a start arriving at another worker wakes the owner without
polling, and the partition of a worker that is gone is taken over."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

from devhost.durable import messages
from devhost.durable.engine import Engine
from devhost.durable.partitions import partition_of
from tests.unit.durable.conftest import ACTIVITIES, ORCHESTRATORS


def _ids(partition: int, count: int, n: int, prefix: str) -> list[str]:
    out: list[str] = []
    i = 0
    while len(out) < n:
        iid = f"{prefix}-{i}"
        if partition_of(iid, 2) == partition:
            out.append(iid)
        i += 1
    return out


def _engine(db: Path, index: int, finished: list[tuple[int, str]], poll: float) -> Engine:
    engine = Engine(
        db, ORCHESTRATORS, ACTIVITIES, poll_seconds=poll, worker_index=index, worker_count=2,
        extended_sessions=True,
    )  # fmt: skip
    engine.on_finished = lambda iid, _status: finished.append((index, iid))
    return engine


def test_partition_of_is_stable_and_spreads() -> None:
    ids = [f"order-{i}" for i in range(1000)]
    parts = [partition_of(i, 2) for i in ids]
    assert parts == [partition_of(i, 2) for i in ids]  # crc32, not the per-process salted hash()
    assert 400 < sum(parts) < 600
    assert {partition_of(i, 1) for i in ids} == {0}


def test_each_worker_runs_its_own_partition_and_is_woken_across_workers(tmp_path: Path) -> None:
    db = tmp_path / "durable.db"
    finished: list[tuple[int, str]] = []

    async def scenario() -> tuple[float, list[dict[str, Any]]]:
        # A 5 s poll: an instance started at the other worker completes in far less only if its
        # owner is woken by the datagram, not by polling.
        a, b = _engine(db, 0, finished, 5.0), _engine(db, 1, finished, 5.0)
        await a.start()
        await b.start()
        try:
            await asyncio.sleep(0.3)  # both loops idle, in their 5 s wait
            began = time.monotonic()
            mine_a, mine_b = _ids(0, 2, 3, "pa"), _ids(1, 2, 3, "pb")
            for iid in mine_a + mine_b:  # every start arrives at worker 0
                a.start_new("chain", iid, json.dumps({"steps": 3}))
            docs = [await a.wait(iid, timeout=20) for iid in mine_a + mine_b]
            return time.monotonic() - began, docs
        finally:
            await a.stop()
            await b.stop()

    took, docs = asyncio.run(scenario())
    assert [d["runtimeStatus"] for d in docs] == ["Completed"] * 6
    assert [d["output"] for d in docs] == [3] * 6
    assert took < 3.0, f"cross-worker wake-up took {took:.2f} s (the poll is 5 s)"
    assert sorted(finished) == sorted((partition_of(iid, 2), iid) for _, iid in finished)
    assert len(finished) == 6


def test_a_dead_workers_partition_is_taken_over(tmp_path: Path, test_state: Path) -> None:
    db = tmp_path / "durable.db"
    finished: list[tuple[int, str]] = []

    async def scenario() -> dict[str, Any]:
        a, b = _engine(db, 0, finished, 0.05), _engine(db, 1, finished, 0.05)
        await a.start()
        await b.start()
        (iid,) = _ids(1, 2, 1, "dead")
        b.start_new("ten_steps", iid, json.dumps({"sleep": 0.1}))
        for _ in range(1500):  # a few steps done by worker 1, one in flight
            if len(b.store.history(iid, sdk_only=False)) >= 6:
                break
            await asyncio.sleep(0.01)
        # Worker 1 dies (as SIGKILL would): no stop(); its partition lock goes with its files.
        for task in [*b._loops, *b.runner.tasks]:
            task.cancel()
        await asyncio.sleep(0)
        messages.forget_owner(b.owner)
        assert b.partitions is not None
        b.partitions.close(asyncio.get_running_loop())
        b.store.close()
        try:
            return await a.wait(iid, timeout=20)
        finally:
            await a.stop()

    doc = asyncio.run(scenario())
    assert doc["runtimeStatus"] == "Completed"
    assert doc["output"] == [f"{doc['instanceId']}:{i}" for i in range(10)]
    assert finished and finished[-1][0] == 0  # worker 0 finished worker 1's instance


def test_single_worker_engine_has_no_partitions(tmp_path: Path) -> None:
    engine = Engine(tmp_path / "d.db", ORCHESTRATORS, ACTIVITIES)
    assert engine.partitions is None
    engine.store.close()
