"""Document rules both document-store adapters share, so they behave the same way.

Cosmos DB decides these semantics (partition key lookup, which ids are legal, patch operations);
the embedded adapter re-implements them here and the Cosmos adapter uses the same checks up front
so that a bad call fails the same way on both before reaching the wire.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

import orjson

from shared.ports.documents import Document, InvalidPatch, PatchOp, Query

# Properties the store owns: never stored from the caller's copy, always returned fresh.
SYSTEM_FIELDS = ("_etag", "_ts", "_rid", "_self", "_attachments", "_lsn")

# Cosmos refuses these characters in ids (they break resource links).
_BAD_ID = re.compile(r"[/\\?#]")
MAX_PATCH_OPS = 10  # Cosmos' limit per patch request
_SEGMENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def validate_path(path: str) -> list[str]:
    """Split a dotted query path into identifier segments; anything else is refused because it
    would end up inside SQL text (values are always parameters, paths cannot be)."""
    parts = path.split(".")
    if not path or not all(_SEGMENT.match(p) for p in parts):
        raise ValueError(f"invalid document path {path!r}: dotted identifiers only")
    return parts


def pointer_parts(pointer: str) -> list[str]:
    """JSON pointer (`/stock/onHand`) to its unescaped segments."""
    if not pointer.startswith("/") or pointer == "/":
        raise InvalidPatch(f"invalid JSON pointer {pointer!r}")
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer[1:].split("/")]


def partition_key_of(document: Document, partition_key_path: str) -> str:
    value: Any = document
    for part in pointer_parts(partition_key_path):
        if not isinstance(value, dict) or part not in value:
            raise ValueError(f"document has no partition key at {partition_key_path}")
        value = value[part]
    if not isinstance(value, str) or not value:
        raise ValueError(f"partition key at {partition_key_path} must be a non-empty string")
    return value


def validate_id(doc_id: Any) -> str:
    if not isinstance(doc_id, str) or not doc_id or len(doc_id) > 255 or _BAD_ID.search(doc_id):
        raise ValueError(f"invalid document id {doc_id!r}: 1-255 chars, none of / \\ ? #")
    return doc_id


def strip_system(document: Document) -> Document:
    return {k: v for k, v in document.items() if k not in SYSTEM_FIELDS}


def encode_token(state: dict[str, Any]) -> str:
    # orjson (~10x faster than json.dumps with sort_keys; a paged listing encodes one per page):
    # the same compact sorted JSON except non-ASCII written as UTF-8 rather than \u escapes, which
    # decode_token reads alike. The stdlib for what orjson refuses (integers beyond 64 bits).
    try:
        raw = orjson.dumps(state, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        raw = json.dumps(state, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        state = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ValueError("malformed continuation token") from exc
    if not isinstance(state, dict):
        raise ValueError("malformed continuation token")
    return state


def fingerprint(query: Query, partition_key: str | None) -> str:
    """Ties a continuation token to the query that produced it."""
    try:
        return _fingerprint(query, partition_key, value_types(query))
    except TypeError:  # a filter value that cannot be hashed (a list): computed each time
        return _fingerprint_of(query, partition_key)


def _fingerprint_of(query: Query, partition_key: str | None) -> str:
    return hashlib.sha256(repr((query, partition_key)).encode()).hexdigest()[:16]


# A listing pages with a token on most requests: the repr and hash of its query (a dataclass repr
# per filter) were ~50 us of every such page (docs/performance.md, round 4b). Keyed with the value
# types: an equal query may repr differently (1 == True == 1.0).
@functools.lru_cache(maxsize=1024)
def _fingerprint(query: Query, partition_key: str | None, types: tuple[Any, ...]) -> str:
    return _fingerprint_of(query, partition_key)


def value_types(query: Query) -> tuple[Any, ...]:
    """The types of a query's filter values (of each member of an `in` tuple), for memo keys:
    `Filter("n", "=", True) == Filter("n", "=", 1)` and they hash alike, yet Cosmos semantics tell
    a boolean from a number, so what is remembered per query must be per value type too."""
    return tuple(tuple(map(type, f.value)) if type(f.value) is tuple else type(f.value) for f in query.where)


def apply_patch(document: Document, operations: Sequence[PatchOp], partition_key_path: str) -> Document:
    """Cosmos partial-update semantics on a copy: all operations apply or `InvalidPatch` is raised."""
    if not operations or len(operations) > MAX_PATCH_OPS:
        raise InvalidPatch(f"a patch holds 1 to {MAX_PATCH_OPS} operations")
    result = copy.deepcopy(strip_system(document))
    protected = {"/id", partition_key_path}
    for op in operations:
        if op.path in protected:
            raise InvalidPatch(f"{op.path} cannot be patched")
        parts = pointer_parts(op.path)
        parent = _walk(result, parts[:-1], op.path)
        _apply_one(parent, parts[-1], op)
    return result


def _walk(node: Any, parts: list[str], pointer: str) -> Any:
    for part in parts:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise InvalidPatch(f"path {pointer} does not exist")
    if not isinstance(node, dict | list):
        raise InvalidPatch(f"path {pointer} has no container parent")
    return node


def _apply_one(parent: dict[str, Any] | list[Any], key: str, op: PatchOp) -> None:
    if isinstance(parent, list):
        _apply_to_list(parent, key, op)
        return
    exists = key in parent
    if op.op in ("add", "set"):
        parent[key] = copy.deepcopy(op.value)
    elif op.op == "replace":
        if not exists:
            raise InvalidPatch(f"replace of missing {op.path}")
        parent[key] = copy.deepcopy(op.value)
    elif op.op == "remove":
        if not exists:
            raise InvalidPatch(f"remove of missing {op.path}")
        del parent[key]
    elif op.op == "incr":
        parent[key] = _incremented(parent.get(key, 0), op)
    else:  # pragma: no cover - Literal guards it
        raise InvalidPatch(f"unknown patch op {op.op}")


def _apply_to_list(parent: list[Any], key: str, op: PatchOp) -> None:
    if key == "-" and op.op in ("add", "set"):
        parent.append(copy.deepcopy(op.value))
        return
    if not key.isdigit():
        raise InvalidPatch(f"array index expected in {op.path}")
    index = int(key)
    if op.op == "add":  # Cosmos: `add` on an index inserts, `set` overwrites
        if index > len(parent):
            raise InvalidPatch(f"index out of range in {op.path}")
        parent.insert(index, copy.deepcopy(op.value))
        return
    if index >= len(parent):
        raise InvalidPatch(f"index out of range in {op.path}")
    if op.op in ("set", "replace"):
        parent[index] = copy.deepcopy(op.value)
    elif op.op == "remove":
        del parent[index]
    else:
        parent[index] = _incremented(parent[index], op)


def _incremented(current: Any, op: PatchOp) -> int | float:
    numeric = (int, float)
    if isinstance(current, bool) or not isinstance(current, numeric):
        raise InvalidPatch(f"incr of a non-number at {op.path}")
    if isinstance(op.value, bool) or not isinstance(op.value, numeric):
        raise InvalidPatch(f"incr by a non-number at {op.path}")
    return current + op.value  # int + int stays int: counters must stay exact
