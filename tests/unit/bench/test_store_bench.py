"""bench/store_bench.py keeps running (a very short measurement, not a performance gate)."""

from __future__ import annotations

from bench.store_bench import run


def test_bench_measures_every_operation_on_both_sides() -> None:
    results = run(seconds=0.05)
    assert [name for name, _, _ in results] == [
        "point read",
        "conditional write",
        "partition query (50 docs)",
    ]
    for _, adapter_ops, plain_ops in results:
        assert adapter_ops > 0 and plain_ops > 0
