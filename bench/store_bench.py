"""Benchmark: the SQLite document adapter next to plain sqlite3 running the same statements.

    .venv/bin/python -m bench.store_bench [--seconds 2]

Three operations, each measured for `--seconds` on the adapter and on a bare sqlite3 connection
to the same file issuing the same SQL (so the ratio is the adapter's own cost: JSON encode/decode,
validation, query compilation, per-thread connection lookup):
- point read: read(id, pk)
- conditional write: replace(doc, if_match=etag), i.e. BEGIN IMMEDIATE, read the ETag, bump the
  change sequence, upsert the row, COMMIT
- partition query: status = "active" within one partition, first page of 50
Prints ops/s for both and the ratio adapter/sqlite3 (1.0 = no overhead). Takes < 1 minute.
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from shared.adapters.sqlite_container import SqliteContainer
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.adapters.sqlite_query import compile_query
from shared.ports.documents import Filter, Query

PARTITIONS = 20
DOCS_PER_PARTITION = 100
PAGE = 50


def measure(fn: Callable[[int], object], seconds: float) -> float:
    """Operations per second of `fn(i)` over about `seconds`."""
    done = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        for _ in range(50):  # check the clock every 50 calls, not every call
            fn(done)
            done += 1
    return done / (time.perf_counter() - started)


def populate(container: SqliteContainer) -> list[tuple[str, str]]:
    keys: list[tuple[str, str]] = []
    for p in range(PARTITIONS):
        for i in range(DOCS_PER_PARTITION):
            doc = {
                "id": f"d{i}",
                "pk": f"p{p}",
                "status": "active" if i % 3 else "draft",
                "n": i,
                "price": {"amount": "9.99", "currency": "EUR"},
                "tags": ["a", "b"],
            }
            container.create(doc)
            keys.append((f"p{p}", f"d{i}"))
    return keys


def plain_connection(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA busy_timeout = 30000")
    conn.execute("PRAGMA synchronous = NORMAL")
    return conn


def run(seconds: float) -> list[tuple[str, float, float]]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "documents.db"
        store = SqliteDocumentStore(path)
        container = store.container("bench", "/pk", indexes=("status",))
        assert isinstance(container, SqliteContainer)
        keys = populate(container)
        rng = random.Random(7)
        picks = [rng.choice(keys) for _ in range(4096)]
        raw = plain_connection(path)
        table = container.table

        def adapter_read(i: int) -> object:
            pk, id = picks[i % 4096]
            return container.read(id, pk)

        def plain_read(i: int) -> object:
            pk, id = picks[i % 4096]
            return raw.execute(
                f'SELECT body, etag, ts FROM "{table}" WHERE pk = ? AND id = ?', (pk, id)
            ).fetchone()

        current = {k: container.read(k[1], k[0]) for k in set(picks[:256])}
        write_keys = list(current)

        def adapter_write(i: int) -> object:
            key = write_keys[i % len(write_keys)]
            doc = current[key]
            current[key] = container.replace({**doc, "n": doc["n"] + 1}, if_match=doc["_etag"])
            return current[key]

        def plain_write(i: int) -> object:
            pk, id = write_keys[i % len(write_keys)]
            raw.execute("BEGIN IMMEDIATE")
            body, etag = raw.execute(
                f'SELECT body, etag FROM "{table}" WHERE pk = ? AND id = ?', (pk, id)
            ).fetchone()
            seq = raw.execute(
                "UPDATE _meta SET value = value + 1 WHERE key = 'seq' RETURNING value"
            ).fetchone()[0]
            raw.execute(
                f'INSERT INTO "{table}" (pk, id, body, etag, seq, ts) VALUES (?, ?, ?, ?, ?, ?)'
                " ON CONFLICT (pk, id) DO UPDATE SET body = excluded.body, etag = excluded.etag,"
                " seq = excluded.seq, ts = excluded.ts",
                (pk, id, body, f'"{seq:016x}"', seq, int(time.time())),
            )
            raw.execute("COMMIT")
            return etag

        query = Query(where=[Filter("status", "=", "active")])

        def adapter_query(i: int) -> object:
            return container.query(query, partition_key=f"p{i % PARTITIONS}", max_items=PAGE)

        def plain_query(i: int) -> object:
            compiled = compile_query(
                table, query, partition_key=f"p{i % PARTITIONS}", max_items=PAGE, token=None
            )
            return raw.execute(compiled.sql, compiled.params).fetchall()

        results = []
        for name, adapter_fn, plain_fn in (
            ("point read", adapter_read, plain_read),
            ("conditional write", adapter_write, plain_write),
            ("partition query (50 docs)", adapter_query, plain_query),
        ):
            # Adapter first: the plain writes change ETags the adapter side has cached.
            adapter_ops = measure(adapter_fn, seconds)
            plain_ops = measure(plain_fn, seconds)
            results.append((name, adapter_ops, plain_ops))
        raw.close()
        store.close()
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else None)
    parser.add_argument("--seconds", type=float, default=2.0, help="measurement time per operation and side")
    args = parser.parse_args()
    results = run(args.seconds)
    print(f"{'operation':<28}{'adapter ops/s':>15}{'sqlite3 ops/s':>15}{'ratio':>8}")
    for name, adapter_ops, plain_ops in results:
        print(f"{name:<28}{adapter_ops:>15,.0f}{plain_ops:>15,.0f}{adapter_ops / plain_ops:>8.2f}")
    print(json.dumps({name: round(a / p, 3) for name, a, p in results}))


if __name__ == "__main__":
    main()
