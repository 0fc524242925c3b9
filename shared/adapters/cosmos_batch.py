"""Per-operation partition keys in Cosmos DB transactional batches.

The batch REST body is a JSON list of operations, each of which may carry its own `partitionKey`
(a JSON-encoded array, e.g. `'["p"]'`): the Java SDK always sends it, the JS SDK when given.
azure-cosmos (4.x) builds that list in `azure.cosmos._base._format_batch_operations`, which keeps
only `if_match_etag` / `if_none_match_etag` / `filter_predicate` from an operation's kwargs and
has no way to add the field. Cosmos DB itself resolves the partition from the request header, but
@vercel/cosmosdb-server (the contract suites' stand-in) reads it from each non-create operation and
fails with "Failed to parse x-ms-documentdb-partitionkey headers" without it.

`install()` wraps that formatter once per process: an operation whose kwargs hold
`PARTITION_KEY_KWARG` gets the field; every other operation is formatted exactly as before, so
other callers of the SDK are unaffected. If a future SDK moves the formatter, `install()` does
nothing and batches still work on Cosmos DB (only the stand-in then rejects non-create batches,
which the contract suite reports).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Sequence
from typing import Any

from azure.cosmos import _base

PARTITION_KEY_KWARG = "sc_partition_key"
_MARK = "_sc_per_operation_partition_key"
_lock = threading.Lock()

BatchTuple = tuple[str, tuple[Any, ...], dict[str, Any]]


def partition_key_json(partition_key: str) -> str:
    return json.dumps([partition_key], separators=(",", ":"))


def _wrap(original: Callable[..., list[dict[str, Any]]]) -> Callable[..., list[dict[str, Any]]]:
    def format_batch_operations(operations: Sequence[Any]) -> list[dict[str, Any]]:
        keys: list[str | None] = []
        plain: list[Any] = []
        for op in operations:
            if len(op) > 2 and PARTITION_KEY_KWARG in op[2]:
                kwargs = dict(op[2])  # the caller's dict stays as it was (a retry reformats it)
                keys.append(kwargs.pop(PARTITION_KEY_KWARG))
                plain.append((op[0], op[1], kwargs))
            else:
                keys.append(None)
                plain.append(op)
        formatted = original(plain)
        for operation, key in zip(formatted, keys, strict=True):
            if key is not None:
                operation["partitionKey"] = key
        return formatted

    setattr(format_batch_operations, _MARK, True)
    return format_batch_operations


def install() -> bool:
    """Idempotent; True when batch operations can carry their own partition key."""
    with _lock:
        current = getattr(_base, "_format_batch_operations", None)
        if current is None:
            return False
        if not getattr(current, _MARK, False):
            _base._format_batch_operations = _wrap(current)  # type: ignore[attr-defined]
        return True
