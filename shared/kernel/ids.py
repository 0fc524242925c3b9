"""Ids: random ones for new resources, derived ones where a retry must land on the same resource.

A derived id (an order from the caller and their Idempotency-Key, a refund from its order and
key) makes a repeated request find what the first one created instead of creating it twice.
"""

from __future__ import annotations

import hashlib
import uuid


def new_id() -> str:
    """32 hex digits (a UUID4 without dashes): product, image, address and taxon ids."""
    return uuid.uuid4().hex


def prefixed_id(prefix: str, length: int = 24) -> str:
    """`prefix` + `length` random hex digits, e.g. `ord_…` for an order placed without a key."""
    return prefix + uuid.uuid4().hex[:length]


def derived_id(prefix: str, *parts: str, length: int = 24) -> str:
    """`prefix` + the first `length` hex digits of SHA-256 over `parts`: the same parts, the same id."""
    return prefix + hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:length]
