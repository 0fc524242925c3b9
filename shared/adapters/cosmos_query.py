"""Compile the port's structured `Query` into Cosmos SQL with @parameters.

Paths become bracket accessors (`c["price"]["amount"]`) so reserved words (`value`, `order`) are
safe; values are always parameters. Cosmos compares only like types and treats a missing property
as undefined, which is the semantics the embedded adapter imitates.

ORDER BY: a single path uses the default range index; several paths need a composite index in
the container's indexing policy (infra/), which real Cosmos requires and refuses the query without.
"""

from __future__ import annotations

from typing import Any

from shared.adapters.doc_common import pointer_parts, validate_path
from shared.ports.documents import Filter, Query


def accessor(path: str) -> str:
    return "c" + "".join(f'["{part}"]' for part in validate_path(path))


def pointer_accessor(pointer: str) -> str:
    """`/sku` -> `c["sku"]` (the partition key path; validated like query paths)."""
    return accessor(".".join(pointer_parts(pointer)))


class _Params:
    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []

    def add(self, value: Any) -> str:
        name = f"@p{len(self.items)}"
        self.items.append({"name": name, "value": value})
        return name


def _check_scalar(f: Filter) -> None:
    if isinstance(f.value, dict | list | tuple):
        raise ValueError(f"unsupported filter value for {f.path}: {type(f.value).__name__}")


def _compile_filter(f: Filter, params: _Params) -> str:
    p = accessor(f.path)
    if f.op in ("=", "!="):
        _check_scalar(f)
        return f"{p} {f.op} {params.add(f.value)}"
    if f.op in ("<", "<=", ">", ">="):
        if isinstance(f.value, bool) or not isinstance(f.value, str | int | float):
            raise ValueError(f"range filter on {f.path} needs a string or a number")
        return f"{p} {f.op} {params.add(f.value)}"
    if f.op == "in":
        if not isinstance(f.value, list | tuple):
            raise ValueError(f"'in' filter on {f.path} needs a list")
        if not f.value:
            return "false"
        for v in f.value:
            _check_scalar(Filter(f.path, "=", v))
        return f"{p} IN ({', '.join(params.add(v) for v in f.value)})"
    if f.op == "contains":
        if isinstance(f.value, dict | list | tuple) or f.value is None:
            raise ValueError(f"contains on {f.path} needs a scalar value")
        return f"ARRAY_CONTAINS({p}, {params.add(f.value)})"
    if f.op == "startswith":
        if not isinstance(f.value, str):
            raise ValueError(f"startswith on {f.path} needs a string")
        return f"STARTSWITH({p}, {params.add(f.value)})"
    if f.op == "defined":
        return f"IS_DEFINED({p})"
    if f.op == "undefined":
        return f"NOT IS_DEFINED({p})"
    raise ValueError(f"unknown filter op {f.op!r}")


def compile_query(
    query: Query, *, partition_key_path: str, partition_key: str | None
) -> tuple[str, list[dict[str, Any]]]:
    params = _Params()
    where: list[str] = []
    if partition_key is not None:
        # Redundant for Cosmos (the request is scoped by the header) but cheap, and the
        # cosmosdb-server stand-in only scopes by what the WHERE clause says.
        where.append(f"{pointer_accessor(partition_key_path)} = {params.add(partition_key)}")
    where.extend(_compile_filter(f, params) for f in query.where)
    sql = "SELECT * FROM c"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if query.order_by:
        terms = []
        for path, direction in query.order_by:
            if direction not in ("asc", "desc"):
                raise ValueError(f"order direction must be asc or desc, not {direction!r}")
            terms.append(f"{accessor(path)} {direction.upper()}")
        sql += " ORDER BY " + ", ".join(terms)
    return sql, params.items
