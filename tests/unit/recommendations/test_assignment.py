"""Sticky, balanced, independent assignment (10,000 simulated users)."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter

from shared.recommendations.assignment import assign, bucket
from shared.recommendations.stats import srm_check

USERS = [f"user-{n}" for n in range(10_000)]


def test_assignment_is_sticky_and_the_same_in_another_process() -> None:
    variants = [("control", 1.0), ("treatment", 1.0)]
    first = [assign("exp-a", u, variants) for u in USERS[:200]]
    assert first == [assign("exp-a", u, variants) for u in USERS[:200]]
    code = (
        "from shared.recommendations.assignment import assign;"
        "v = [('control', 1.0), ('treatment', 1.0)];"
        "print(','.join(assign('exp-a', f'user-{n}', v) for n in range(200)))"
    )
    other = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert other.stdout.strip().split(",") == first  # no per-process seed (PYTHONHASHSEED) involved


def test_assignment_is_balanced_by_chi_square() -> None:
    for variants in ([("control", 1.0), ("treatment", 1.0)], [("control", 50.0), ("b", 25.0), ("c", 25.0)]):
        counts = Counter(assign("exp-balance", u, variants) for u in USERS)
        result = srm_check([counts[name] for name, _ in variants], [w for _, w in variants])
        assert result.ok, (counts, result)
        assert result.p_value > 0.01


def test_a_70_30_assignment_against_a_declared_50_50_is_flagged() -> None:
    counts = Counter(assign("exp-broken", u, [("control", 0.7), ("treatment", 0.3)]) for u in USERS)
    assert not srm_check([counts["control"], counts["treatment"]], [0.5, 0.5]).ok


def test_experiments_assign_independently() -> None:
    variants = [("control", 1.0), ("treatment", 1.0)]
    same = sum(assign("exp-1", u, variants) == assign("exp-2", u, variants) for u in USERS)
    assert 4800 < same < 5200  # ~50 % agreement: one test's split says nothing about the next


def test_bucket_is_in_the_unit_interval() -> None:
    values = [bucket("e", u) for u in USERS]
    assert all(0.0 <= v < 1.0 for v in values)
    assert 0.45 < sum(values) / len(values) < 0.55
