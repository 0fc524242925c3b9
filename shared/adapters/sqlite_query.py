"""Compile the port's structured `Query` into parameterized SQLite over JSON text.

Paths are validated identifiers, so they may appear in SQL text (`json_extract(body, '$."a"."b"')`,
the same expression the expression indexes are built on, which is what lets the planner use them);
every value is a bound parameter. Filters follow Cosmos semantics: a comparison only holds between
values of the same JSON type (json_type guards), and a missing property matches nothing but
`undefined`. Paging is keyset: the token carries the last row's sort values plus (id, pk) as the
tie-breaker, so pages are stable under ties and never use OFFSET.

Shadow columns: the container keeps, for each path it declares an index on, the stored generated
columns `"v:<path>"` = `json_extract(body, path)` and `"t:<path>"` = `json_type(body, path)` (and
`"t:<prefix>"` for each prefix of a dotted path), maintained by SQLite itself on every write
(sqlite_container.py). A query names those columns instead of the expressions wherever they
exist: the same values, read from the row rather than computed by parsing the body's JSON text
once per candidate row (SQLite 3.40 has no JSONB and recomputes even an indexed expression).
Paths without a column use the expressions, so a container that knows fewer columns than the
table has (another process declared more) still answers correctly.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from shared.adapters.doc_common import decode_token, encode_token, fingerprint, validate_path
from shared.ports.documents import Filter, Query

_NUMBER_TYPES = "('integer','real')"


@dataclass(frozen=True)
class Shadows:
    """The shadow columns a container's table has: paths with a value column, paths with a type
    column (see the module docstring)."""

    values: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()


NO_SHADOWS = Shadows()


# The SQL text of a path is a pure function of it, and a listing asks for the same few paths dozens
# of times (each filter, sort key and continuation term): validated and built once per path. An
# invalid path raises (and is not remembered); the caches hold at most that many distinct paths.
_PATH_CACHE = 1024


@functools.lru_cache(maxsize=_PATH_CACHE)
def json_path(path: str) -> str:
    return "$." + ".".join(f'"{part}"' for part in validate_path(path))


@functools.lru_cache(maxsize=_PATH_CACHE)
def extract(path: str) -> str:
    """The SQL expression for a dotted path; index DDL and queries must use this same text."""
    return f"json_extract(body, '{json_path(path)}')"


@functools.lru_cache(maxsize=_PATH_CACHE)
def json_type(path: str) -> str:
    """The SQL expression of a path's JSON type (NULL when the path is missing)."""
    return f"json_type(body, '{json_path(path)}')"


@functools.lru_cache(maxsize=_PATH_CACHE)
def value_column(path: str) -> str:
    """The quoted name of a path's value column (the path is validated: no quotes in it)."""
    return f'"v:{".".join(validate_path(path))}"'


@functools.lru_cache(maxsize=_PATH_CACHE)
def type_column(path: str) -> str:
    return f'"t:{".".join(validate_path(path))}"'


def _val(path: str, sh: Shadows) -> str:
    return value_column(path) if path in sh.values else extract(path)


def _type(path: str, sh: Shadows) -> str:
    # Unary plus (a no-op on any value) keeps the planner choosing indexes as it did for the
    # json_type expression: no index has a type column, and a plain column term next to an
    # indexed equality made it walk the primary key instead.
    return "+" + type_column(path) if path in sh.types else json_type(path)


def _typed_eq(path: str, value: Any, sh: Shadows) -> tuple[str, list[Any]]:
    if isinstance(value, bool):
        return f"{_type(path, sh)} = '{'true' if value else 'false'}'", []
    if value is None:
        return f"{_type(path, sh)} = 'null'", []
    if isinstance(value, str):
        return f"({_val(path, sh)} = ? AND {_type(path, sh)} = 'text')", [value]
    if isinstance(value, int | float):
        return f"({_val(path, sh)} = ? AND {_type(path, sh)} IN {_NUMBER_TYPES})", [value]
    raise ValueError(f"unsupported filter value for {path}: {type(value).__name__}")


def _compile_filter(f: Filter, sh: Shadows) -> tuple[str, list[Any]]:
    p = f.path
    params: list[Any]
    if f.op == "=":
        return _typed_eq(p, f.value, sh)
    if f.op == "!=":
        sql, params = _typed_eq(p, f.value, sh)
        return f"({_type(p, sh)} IS NOT NULL AND NOT {sql})", params
    if f.op in ("<", "<=", ">", ">="):
        if isinstance(f.value, str):
            return f"({_val(p, sh)} {f.op} ? AND {_type(p, sh)} = 'text')", [f.value]
        if isinstance(f.value, int | float) and not isinstance(f.value, bool):
            return f"({_val(p, sh)} {f.op} ? AND {_type(p, sh)} IN {_NUMBER_TYPES})", [f.value]
        raise ValueError(f"range filter on {p} needs a string or a number")
    if f.op == "in":
        if not isinstance(f.value, list | tuple):
            raise ValueError(f"'in' filter on {p} needs a list")
        if not f.value:
            return "0", []
        parts = [_typed_eq(p, v, sh) for v in f.value]
        return "(" + " OR ".join(s for s, _ in parts) + ")", [x for _, ps in parts for x in ps]
    if f.op == "contains":
        return _contains(p, f.value, sh)
    if f.op == "startswith":
        if not isinstance(f.value, str):
            raise ValueError(f"startswith on {p} needs a string")
        return f"({_type(p, sh)} = 'text' AND substr({_val(p, sh)}, 1, ?) = ?)", [len(f.value), f.value]
    if f.op == "defined":
        return f"{_type(p, sh)} IS NOT NULL", []
    if f.op == "undefined":
        return f"{_type(p, sh)} IS NULL", []
    raise ValueError(f"unknown filter op {f.op!r}")


def _contains(path: str, value: Any, sh: Shadows) -> tuple[str, list[Any]]:
    params: list[Any]
    if isinstance(value, bool):
        cond, params = f"je.type = '{'true' if value else 'false'}'", []
    elif isinstance(value, str):
        cond, params = "je.type = 'text' AND je.value = ?", [value]
    elif isinstance(value, int | float):
        cond, params = f"je.type IN {_NUMBER_TYPES} AND je.value = ?", [value]
    else:
        raise ValueError(f"contains on {path} needs a scalar value")
    sub = f"EXISTS (SELECT 1 FROM json_each(body, '{json_path(path)}') AS je WHERE {cond})"
    return f"({_type(path, sh)} = 'array' AND {sub})", params


@dataclass(frozen=True)
class CompiledQuery:
    sql: str
    params: list[Any]
    key_count: int  # number of sort columns selected after (pk, id, body, etag, ts)


def compile_query(
    table: str,
    query: Query,
    *,
    partition_key: str | None,
    max_items: int,
    token: str | None,
    shadows: Shadows = NO_SHADOWS,
    body: bool = True,
) -> CompiledQuery:
    """`body=False`: the same query selecting NULL for the body (a version-only answer: the rows'
    keys, ETags and sort values, no JSON text copied out of the table)."""
    where: list[str] = []
    params: list[Any] = []
    if partition_key is not None:
        where.append("pk = ?")
        params.append(partition_key)
    for f in query.where:
        sql, ps = _compile_filter(f, shadows)
        where.append(sql)
        params.extend(ps)
    keys: list[tuple[str, str]] = [(_val(path, shadows), direction) for path, direction in query.order_by]
    for _, direction in keys:
        if direction not in ("asc", "desc"):
            raise ValueError(f"order direction must be asc or desc, not {direction!r}")
    # The port's order (see shared/ports/documents.py): the sort, then id in the last term's
    # direction, as the Cosmos adapter sorts; pk breaks the remaining tie (one id in two
    # partitions). Unsorted: primary-key order.
    last = keys[-1][1] if keys else "asc"
    keys_all = [*keys, ("id", last), ("pk", last)] if keys else [("pk", "asc"), ("id", "asc")]
    if token:
        state = decode_token(token)
        values = state.get("v")
        if state.get("h") != fingerprint(query, partition_key) or not isinstance(values, list):
            raise ValueError("continuation token does not belong to this query")
        if len(values) != len(keys_all) or not all(
            v is None or isinstance(v, int | float | str) for v in values
        ):
            raise ValueError("malformed continuation token")
        sql, ps = _after(keys_all, values)
        where.append(sql)
        params.extend(ps)
    select_keys = "".join(f", {expr}" for expr, _ in keys)
    order = ", ".join(f"{expr} {direction.upper()}" for expr, direction in keys_all)
    sql = f'SELECT pk, id, {"body" if body else "NULL"}, etag, ts{select_keys} FROM "{table}"'
    if where:
        sql += " WHERE " + " AND ".join(where)
    sql += f" ORDER BY {order} LIMIT ?"
    params.append(max_items + 1)  # one extra row tells whether another page exists
    return CompiledQuery(sql, params, len(keys))


def _after(keys: list[tuple[str, str]], values: list[Any]) -> tuple[str, list[Any]]:
    """Rows strictly after `values` in the (mixed-direction) order: SQLite sorts NULL first."""
    alternatives: list[str] = []
    params: list[Any] = []
    for i, (expr, direction) in enumerate(keys):
        terms = [f"{keys[j][0]} IS ?" for j in range(i)]
        term_params = list(values[:i])
        v = values[i]
        if direction == "asc":
            terms.append(f"{expr} IS NOT NULL" if v is None else f"{expr} > ?")
        else:
            terms.append("0" if v is None else f"({expr} < ? OR {expr} IS NULL)")
        if v is not None:
            term_params.append(v)
        alternatives.append("(" + " AND ".join(terms) + ")")
        params.extend(term_params)
    return "(" + " OR ".join(alternatives) + ")", params


def next_token(query: Query, partition_key: str | None, last_row: Any, key_count: int) -> str:
    sort_values = list(last_row[5 : 5 + key_count])
    tie = [last_row[1], last_row[0]] if key_count else [last_row[0], last_row[1]]  # (id, pk) / (pk, id)
    return encode_token({"h": fingerprint(query, partition_key), "v": [*sort_values, *tie]})
