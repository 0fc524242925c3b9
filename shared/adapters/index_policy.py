"""Index policy as data: the sorts each container may run, declared once in infra/containers.json.

Sorted queries are paged by keyset (shared/ports/documents.py), so every ORDER BY runs on at least
two paths, `(k..., id)`, and real Cosmos DB refuses an ORDER BY on several paths without a matching
composite index ("The order by query does not have a corresponding composite index"). The
declarations live with the containers, in the shape Cosmos takes:

    {"name": "products", "partitionKey": "/productId",
     "compositeIndexes": [[{"path": "/name", "order": "ascending"}, {"path": "/id", "order": "ascending"}]]}

infra/modules/cosmos.bicep renders them into each container's indexing policy; the Cosmos adapter
creates them in development (key auth); the SQLite adapter creates a matching expression index
per declaration. Both adapters refuse (`UndeclaredSort`) a sorted query whose `(k..., id)` matches no
declaration (or its exact reverse, which the same composite index serves), so a new sort without
its index fails every test that runs it, on the embedded store too.

Containers not in containers.json (the contract suites' throwaway ones) declare nothing there:
each of their `indexes` entries then makes its (last) path sortable, `[(path, id)]`, and
`_outbox.seq` is always sortable (the relay's order).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from shared.ports.documents import DocumentStoreError, Query

CONTAINERS_JSON = Path(__file__).resolve().parents[2] / "infra" / "containers.json"
_ORDER = {"asc": "ascending", "desc": "descending"}
_FLIP = {"ascending": "descending", "descending": "ascending"}

Composite = tuple[tuple[str, str], ...]  # ((dotted path, "ascending" | "descending"), ...)


class UndeclaredSort(DocumentStoreError):
    """A sorted query with no declared composite index: a programming error (declare it in
    infra/containers.json), which real Cosmos DB would answer with a 400."""


def _from_json(entry: Sequence[dict[str, str]]) -> Composite:
    return tuple((str(part["path"]).strip("/").replace("/", "."), str(part["order"])) for part in entry)


@lru_cache(maxsize=1)
def declared() -> dict[str, tuple[Composite, ...]]:
    """container name -> its declared composite indexes ({} when infra/ is not deployed along)."""
    if not CONTAINERS_JSON.exists():
        return {}
    spec = json.loads(CONTAINERS_JSON.read_text())
    return {
        c["name"]: tuple(_from_json(entry) for entry in c.get("compositeIndexes", []))
        for c in spec["containers"]
    }


def composites_for(name: str, indexes: Sequence[str] = ()) -> tuple[Composite, ...] | None:
    """The container's declarations; None when neither infra nor `indexes` declare anything."""
    known = declared()
    if name in known:
        return known[name]
    # An entry "a,b" (SQLite: equality on a, sort on b) makes b sortable.
    # The relay's `_outbox.seq` sort too: any container may hold outbox entries, and the relay
    # may open it after its context did (in key mode the container's policy is set at creation).
    paths = dict.fromkeys([*(p.split(",")[-1].strip() for p in indexes), "_outbox.seq"])
    derived = tuple(((p, "ascending"), ("id", "ascending")) for p in paths if p and p != "id")
    return derived or None


def required(query: Query) -> Composite:
    """The composite index the query's keyset order needs (empty when unsorted)."""
    from shared.adapters.cosmos_query import sort_terms  # the one definition of the order

    return tuple((path, _ORDER[direction]) for path, direction in sort_terms(query))


def check_sort(name: str, composites: tuple[Composite, ...] | None, query: Query) -> None:
    """Raises UndeclaredSort when no declared composite index serves the query's order."""
    try:
        _check_order(name, composites, tuple(query.order_by))
    except TypeError:  # an unhashable order term: checked each time
        _check(name, composites, query)


# Every query of an adapter is checked, and a listing asks the same few orders again and again
# (~15 us a page: sort_terms, path validation, the index lookup). Only passes are remembered
# (lru_cache keeps no exception); the declarations are read once per process (`declared`).
@lru_cache(maxsize=1024)
def _check_order(name: str, composites: tuple[Composite, ...] | None, order_by: tuple[Any, ...]) -> None:
    _check(name, composites, Query(order_by=order_by))


def _check(name: str, composites: tuple[Composite, ...] | None, query: Query) -> None:
    need = required(query)
    if not need:
        return
    reverse = tuple((path, _FLIP[order]) for path, order in need)
    if composites and (need in composites or reverse in composites):
        return
    if composites is None and not declared():
        # infra/ not shipped with this package: the deployed indexing policy decides (and the
        # tests, which always have infra/, have checked the declarations).
        return
    wanted = ", ".join(f"/{p.replace('.', '/')} {o}" for p, o in need)
    raise UndeclaredSort(
        f"container {name}: no composite index for ORDER BY {wanted}; declare it in infra/containers.json"
    )


def cosmos_indexing_policy(composites: tuple[Composite, ...] | None) -> dict[str, Any]:
    """The policy infra/modules/cosmos.bicep writes, for containers the adapter creates itself
    (development only). Each composite also goes in reversed: Cosmos DB serves the exact reverse
    from the same index, cosmosdb-server does not."""
    policy: dict[str, Any] = {
        "indexingMode": "consistent",
        "automatic": True,
        "includedPaths": [{"path": "/*"}],
        "excludedPaths": [{"path": '/"_etag"/?'}],
    }
    if composites:
        both = [*composites, *(tuple((p, _FLIP[o]) for p, o in c) for c in composites)]
        policy["compositeIndexes"] = [
            [{"path": "/" + p.replace(".", "/"), "order": o} for p, o in c] for c in both
        ]
    return policy
