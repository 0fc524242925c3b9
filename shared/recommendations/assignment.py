"""Deterministic sticky assignment: the same experiment and unit (user id, or an anonymous
client id) always get the same variant, on every instance, with nothing stored to decide it.

The bucket is the first 8 bytes of SHA-256("<experiment>:<unit>") as a fraction of 2^64: a
uniform value in [0, 1) (SHA-256 output is indistinguishable from uniform), cut by the variants'
cumulative normalised weights. Hashing the experiment name in means a user's variant in one
experiment says nothing about their variant in the next.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence


def bucket(experiment: str, unit: str) -> float:
    digest = hashlib.sha256(f"{experiment}:{unit}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2.0**64


def assign(experiment: str, unit: str, variants: Sequence[tuple[str, float]]) -> str:
    """The variant name for `unit`; `variants` are (name, weight > 0) in their declared order."""
    total = sum(weight for _, weight in variants)
    if not variants or total <= 0:
        raise ValueError("an experiment needs variants with positive weights")
    point = bucket(experiment, unit) * total
    cumulative = 0.0
    for name, weight in variants:
        cumulative += weight
        if point < cumulative:
            return name
    return variants[-1][0]  # float rounding at the very top of the range
