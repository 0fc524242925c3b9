"""Compile the port's structured `Query` into Cosmos SQL with @parameters.

Paths become bracket accessors (`c["price"]["amount"]`) so reserved words (`value`, `order`) are
safe; values are always parameters. Cosmos compares only like types and treats a missing property
as undefined, which is the semantics the embedded adapter imitates.

ORDER BY and paging: a sorted query is paged by keyset, not by the SDK's continuation tokens.
The gateway refuses a cross-partition ORDER BY (400, substatus 1004) and the SDK then merges the
partitions client-side, where its tokens are not supported (azure-cosmos README, "Limitations";
azure-sdk-for-python #37230): resuming from one loses pages or fails with "Invalid Continuation
Token". So every sort ends with `id` (same direction as the last term) and the next page is the
query again with "strictly after the last row" added (`keyset_filter`). Because ids are unique only
within a partition, the token also names the partitions whose row with that exact (values, id)
was already returned. The sort is therefore always on two or more paths, which real Cosmos serves
only with a composite index: infra/containers.json declares them (tests/unit/test_index_policy.py).
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


def sort_terms(query: Query) -> list[tuple[str, str]]:
    """The query's ORDER BY plus the `id` tie-break (in the last term's direction, so one
    composite index serves the sort and its reverse)."""
    terms: list[tuple[str, str]] = list(query.order_by)
    for path, direction in terms:
        validate_path(path)
        if direction not in ("asc", "desc"):
            raise ValueError(f"order direction must be asc or desc, not {direction!r}")
    if terms and terms[-1][0] != "id":
        terms.append(("id", terms[-1][1]))
    return terms


# Cosmos' order across types (and the SDK's client-side merge, document_producer._OrderByHelper):
# undefined < null < booleans < numbers < strings; arrays and objects are not sortable keys here.
_TYPE_CHECKS = ("NOT IS_DEFINED({x})", "IS_NULL({x})", "IS_BOOL({x})", "IS_NUMBER({x})", "IS_STRING({x})")
UNDEFINED = ["u"]


def type_rank(tagged: list[Any]) -> int:
    if tagged == UNDEFINED:
        return 0
    value = tagged[1]
    if value is None:
        return 1
    if isinstance(value, bool):
        return 2
    if isinstance(value, int | float):
        return 3
    return 4


def tag_value(document: dict[str, Any], path: str) -> list[Any]:
    """A sort value for a token: `["u"]` when undefined, else `["v", value]` (scalars only)."""
    node: Any = document
    for part in validate_path(path):
        if not isinstance(node, dict) or part not in node:
            return UNDEFINED
        node = node[part]
    if node is not None and not isinstance(node, bool | int | float | str):
        raise ValueError(f"cannot page on {path}: it holds a {type(node).__name__}, not a scalar")
    return ["v", node]


def check_tagged(tagged: Any) -> list[Any]:
    """A token's sort value, refused (ValueError) unless it is one `tag_value` can produce."""
    if tagged == UNDEFINED:
        return UNDEFINED
    if (
        not isinstance(tagged, list)
        or len(tagged) != 2
        or tagged[0] != "v"
        or not (tagged[1] is None or isinstance(tagged[1], bool | int | float | str))
    ):
        raise ValueError("malformed continuation token")
    return tagged


def _equal(x: str, tagged: list[Any], params: _Params) -> str:
    rank = type_rank(tagged)
    if rank < 2:
        return _TYPE_CHECKS[rank].format(x=x)
    return f"{x} = {params.add(tagged[1])}"


def _after(x: str, tagged: list[Any], direction: str, params: _Params) -> str:
    """Rows whose value at `x` comes strictly after `tagged` in `direction`."""
    rank = type_rank(tagged)
    others = range(rank + 1, 5) if direction == "asc" else range(0, rank)
    terms = [_TYPE_CHECKS[r].format(x=x) for r in others]
    if rank == 2:  # false < true
        if (tagged[1] is False) == (direction == "asc"):
            terms.append(f"{x} = {'true' if direction == 'asc' else 'false'}")
    elif rank > 2:
        check = _TYPE_CHECKS[rank].format(x=x)
        terms.append(f"({check} AND {x} {'>' if direction == 'asc' else '<'} {params.add(tagged[1])})")
    return "(" + " OR ".join(terms) + ")" if terms else "false"


def keyset_filter(
    terms: list[tuple[str, str]],
    values: list[list[Any]],
    seen_partitions: list[str],
    partition_key_path: str,
    params: _Params,
) -> str:
    """Rows strictly after the row with sort `values`, in `terms` order; rows equal on every term
    (the same id in other partitions) count as after unless their partition was returned."""
    alternatives: list[str] = []
    for i, (path, direction) in enumerate(terms):
        prefix = [_equal(accessor(terms[j][0]), values[j], params) for j in range(i)]
        alternatives.append(
            "(" + " AND ".join([*prefix, _after(accessor(path), values[i], direction, params)]) + ")"
        )
    if seen_partitions:
        same = [_equal(accessor(p), v, params) for (p, _), v in zip(terms, values, strict=True)]
        pk = pointer_accessor(partition_key_path)
        alternatives.append(
            "(" + " AND ".join([*same, f"NOT ARRAY_CONTAINS({params.add(seen_partitions)}, {pk})"]) + ")"
        )
    return "(" + " OR ".join(alternatives) + ")"


def compile_query(
    query: Query,
    *,
    partition_key_path: str,
    partition_key: str | None,
    after: tuple[list[list[Any]], list[str]] | None = None,
) -> tuple[str, list[dict[str, Any]]]:
    """`after`: (sort values, partitions already returned at those values) of the previous
    page's last row, for keyset paging of a sorted query."""
    params = _Params()
    where: list[str] = []
    if partition_key is not None:
        # Redundant for Cosmos (the request is scoped by the header) but cheap, and the
        # cosmosdb-server stand-in only scopes by what the WHERE clause says.
        where.append(f"{pointer_accessor(partition_key_path)} = {params.add(partition_key)}")
    where.extend(_compile_filter(f, params) for f in query.where)
    terms = sort_terms(query)
    if after is not None:
        values, seen = after
        if len(values) != len(terms):
            raise ValueError("continuation token does not belong to this query")
        where.append(keyset_filter(terms, values, seen, partition_key_path, params))
    sql = "SELECT * FROM c"
    if where:
        sql += " WHERE " + " AND ".join(where)
    if terms:
        sql += " ORDER BY " + ", ".join(f"{accessor(path)} {direction.upper()}" for path, direction in terms)
    return sql, params.items
