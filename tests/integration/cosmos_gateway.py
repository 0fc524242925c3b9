"""A transport-level test double for what cosmosdb-server hides: the gateway's cross-partition rules.

cosmosdb-server (the contract suites' stand-in) runs every query itself, ORDER BY included, so the
azure-cosmos SDK never leaves its simplest path there. The real gateway cannot serve a
cross-partition ORDER BY: it answers 400 with substatus 1004 (CrossPartitionQueryNotServable), and
the SDK (azure-cosmos 4.17, `_execution_context/execution_dispatcher.py`) then

1. asks the gateway for a query plan (`x-ms-cosmos-is-query-plan-request`),
2. reads the container's partition key ranges (`GET .../pkranges`, a change feed drained to 304),
3. sends the plan's rewritten query to every range (`x-ms-documentdb-partitionkeyrangeid`) and
   merges the ranges' `orderByItems` client-side (`multi_execution_aggregator.py`).

A continuation token on that path is per range: the SDK hands whatever token the last range
answered with to every range on resume, which loses pages or earns `400 Invalid Continuation
Token` from the real service. `GatewayTransport` sits in the SDK's azure-core pipeline in front of
cosmosdb-server and plays those three parts with `ranges` physical partitions (documents are
spread over them by a hash of their partition key, as Cosmos does); every other request goes to
the server untouched. Each range's results are computed by running the original query on the
server and keeping that range's documents, paged with the `x-ms-max-item-count` the SDK asks for
and range-bound continuation tokens like the real ones.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import re
import threading
from collections import Counter
from typing import Any
from urllib.parse import unquote, urlparse

import requests
from azure.core.pipeline.transport import HttpRequest, RequestsTransport, RequestsTransportResponse
from requests.structures import CaseInsensitiveDict

_ORDER_BY = re.compile(r"\s+ORDER BY\s+(?P<terms>.+)$", re.IGNORECASE | re.DOTALL)
_TERM = re.compile(r"^(?P<expr>c(?:\[\"[A-Za-z0-9_]+\"\])+)\s+(?P<dir>ASC|DESC)$", re.IGNORECASE)
_PATH = re.compile(r"\[\"([A-Za-z0-9_]+)\"\]")
_MAX_EPK = "FF"


def _split_terms(terms: str) -> list[tuple[str, str]]:
    parsed = []
    for term in terms.split(","):
        m = _TERM.match(term.strip())
        if m is None:
            raise ValueError(f"fake gateway cannot plan ORDER BY term {term!r}")
        parsed.append((m["expr"], "Ascending" if m["dir"].upper() == "ASC" else "Descending"))
    return parsed


def _value_at(document: dict[str, Any], expr: str) -> tuple[bool, Any]:
    node: Any = document
    for part in _PATH.findall(expr):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


class GatewayTransport(RequestsTransport):
    def __init__(self, ranges: int = 3, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        if not 1 <= ranges <= 15:
            raise ValueError("1 to 15 ranges")
        self.ranges = ranges
        self.seen: Counter[str] = Counter()  # which parts the SDK exercised (tests assert on it)
        self._plans: dict[str, tuple[str, list[tuple[str, str]]]] = {}  # rewritten -> original
        self._pk_paths: dict[str, list[str]] = {}
        self._lock = threading.Lock()

    # --- the pipeline entry point -------------------------------------------------------------
    def send(self, request: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        path = unquote(urlparse(request.url).path).rstrip("/")
        headers = CaseInsensitiveDict(request.headers)
        if request.method == "GET" and path.endswith("/pkranges"):
            return self._pkranges(request, headers)
        is_plan = str(headers.get("x-ms-cosmos-is-query-plan-request", "")).lower() == "true"
        is_query = str(headers.get("x-ms-documentdb-isquery", "")).lower() == "true"
        if request.method == "POST" and path.endswith("/docs") and (is_query or is_plan):
            body = json.loads(request.data or request.body or b"{}")
            query = body.get("query", "")
            if is_plan:
                return self._plan(request, query)
            range_id = headers.get("x-ms-documentdb-partitionkeyrangeid")
            if range_id is not None:
                return self._range_query(request, headers, body, str(range_id), path, **kwargs)
            if "x-ms-documentdb-partitionkey" not in headers and _ORDER_BY.search(query):
                self.seen["1004"] += 1
                return self._respond(
                    request,
                    400,
                    {
                        "code": "BadRequest",
                        "message": "Cross partition query with ORDER BY is not servable by the gateway.",
                    },
                    {"x-ms-substatus": "1004"},
                )
        return super().send(request, **kwargs)

    # --- the gateway's parts --------------------------------------------------------------------
    def _plan(self, request: Any, query: str) -> Any:
        self.seen["plan"] += 1
        m = _ORDER_BY.search(query)
        terms = _split_terms(m["terms"]) if m else []
        head = query[: m.start()] if m else query
        where = ""
        if " WHERE " in head:
            where = head.split(" WHERE ", 1)[1]
        items = ", ".join(f'{{"item": {expr}}}' for expr, _ in terms)
        order = ", ".join(f"{expr} {'ASC' if d == 'Ascending' else 'DESC'}" for expr, d in terms)
        # What the real gateway answers: a query that returns the sort values beside each document.
        rewritten = (
            f"SELECT c._rid, [{items}] AS orderByItems, c AS payload FROM c"
            f" WHERE ({where or 'true'}) ORDER BY {order}"
        )
        with self._lock:
            self._plans[rewritten] = (query, terms)
        plan = {
            "partitionedQueryExecutionInfoVersion": 2,
            "queryInfo": {
                "distinctType": "None",
                "top": None,
                "offset": None,
                "limit": None,
                "orderBy": [d for _, d in terms],
                "orderByExpressions": [e for e, _ in terms],
                "groupByExpressions": [],
                "groupByAliases": [],
                "aggregates": [],
                "groupByAliasToAggregateType": {},
                "rewrittenQuery": rewritten if terms else "",
                "hasSelectValue": False,
                "hasNonStreamingOrderBy": False,
            },
            "queryRanges": [{"min": "", "max": _MAX_EPK, "isMinInclusive": True, "isMaxInclusive": False}],
        }
        return self._respond(request, 200, plan)

    def _bounds(self) -> list[tuple[str, str]]:
        step = 256 // self.ranges
        cuts = [""] + [f"{step * i:02X}" for i in range(1, self.ranges)] + [_MAX_EPK]
        return list(itertools.pairwise(cuts))

    def _pkranges(self, request: Any, headers: CaseInsensitiveDict[Any]) -> Any:
        self.seen["pkranges"] += 1
        if headers.get("If-None-Match"):
            return self._respond(request, 304, None, {"etag": '"1"'})
        ranges = [
            {
                "id": str(i),
                "_rid": f"rng{i}",
                "minInclusive": lo,
                "maxExclusive": hi,
                "ridPrefix": i,
                "throughputFraction": 1.0 / self.ranges,
                "status": "online",
                "parents": [],
            }
            for i, (lo, hi) in enumerate(self._bounds())
        ]
        body = {"_rid": "coll", "PartitionKeyRanges": ranges, "_count": len(ranges)}
        return self._respond(request, 200, body, {"etag": '"1"'})

    def _range_of(self, partition_key: Any) -> str:
        digest = hashlib.sha256(json.dumps(partition_key).encode()).digest()
        return str(digest[0] % self.ranges)

    def _partition_key_paths(self, collection_path: str, request: Any, **kwargs: Any) -> list[str]:
        with self._lock:
            known = self._pk_paths.get(collection_path)
        if known is not None:
            return known
        url = request.url.split("/dbs/", 1)[0] + collection_path
        meta = HttpRequest("GET", url, headers={k: v for k, v in request.headers.items()})
        response = super().send(meta, **kwargs)
        paths = [str(p) for p in json.loads(response.text())["partitionKey"]["paths"]]
        with self._lock:
            self._pk_paths[collection_path] = paths
        return paths

    def _range_query(
        self,
        request: Any,
        headers: CaseInsensitiveDict[Any],
        body: dict[str, Any],
        range_id: str,
        path: str,
        **kwargs: Any,
    ) -> Any:
        self.seen["range"] += 1
        with self._lock:
            planned = self._plans.get(body.get("query", ""))
        if planned is None:
            return self._respond(request, 400, {"code": "BadRequest", "message": "unknown rewritten query"})
        original, terms = planned
        offset = 0
        token = headers.get("x-ms-continuation")
        if token:
            try:
                state = json.loads(token)
                if state["range"] != range_id:
                    raise ValueError("token of another range")
                offset = int(state["offset"])
            except (ValueError, KeyError, TypeError):
                return self._respond(
                    request, 400, {"code": "BadRequest", "message": "Invalid Continuation Token"}
                )
        collection = path[: -len("/docs")]
        pk_paths = self._partition_key_paths(collection, request, **kwargs)
        documents = [
            d
            for d in self._run_on_server(request, original, body.get("parameters", []), **kwargs)
            if self._range_of(
                _value_at(d, "c" + "".join(f'["{p}"]' for p in pk_paths[0].strip("/").split("/")))[1]
            )
            == range_id
        ]
        size = int(headers.get("x-ms-max-item-count", "100") or "100")
        if size < 1:
            size = len(documents) or 1
        window = documents[offset : offset + size]
        results = []
        for d in window:
            items = []
            for expr, _ in terms:
                present, value = _value_at(d, expr)
                items.append({"item": value} if present else {})
            results.append({"_rid": d.get("_rid"), "orderByItems": items, "payload": d})
        extra = {}
        if offset + size < len(documents):
            extra["x-ms-continuation"] = json.dumps({"range": range_id, "offset": offset + size})
        return self._respond(
            request, 200, {"_rid": "coll", "Documents": results, "_count": len(results)}, extra
        )

    def _run_on_server(
        self, request: Any, query: str, parameters: list[Any], **kwargs: Any
    ) -> list[dict[str, Any]]:
        """The whole result of `query` from cosmosdb-server (which serves it in one node)."""
        out: list[dict[str, Any]] = []
        token: str | None = None
        drop = {
            "x-ms-documentdb-partitionkeyrangeid",
            "x-ms-continuation",
            "x-ms-max-item-count",
            "content-length",
        }
        while True:
            headers = {k: v for k, v in request.headers.items() if k.lower() not in drop}
            headers["x-ms-max-item-count"] = "1000"
            headers["x-ms-documentdb-query-enablecrosspartition"] = "True"
            if token:
                headers["x-ms-continuation"] = token
            forward = HttpRequest("POST", request.url, headers=headers)
            forward.set_bytes_body(json.dumps({"query": query, "parameters": parameters}).encode())
            response = super().send(forward, **kwargs)
            if response.status_code != 200:
                raise RuntimeError(f"cosmosdb-server answered {response.status_code}: {response.text()}")
            out.extend(json.loads(response.text())["Documents"])
            token = response.headers.get("x-ms-continuation")
            if not token:
                return out

    # --- plumbing -------------------------------------------------------------------------------
    def _respond(
        self, request: Any, status: int, body: Any, headers: dict[str, str] | None = None
    ) -> RequestsTransportResponse:
        raw = requests.Response()
        raw.status_code = status
        raw.reason = {200: "OK", 304: "Not Modified", 400: "Bad Request"}.get(status, "")
        raw._content = b"" if body is None else json.dumps(body).encode()
        raw.headers = CaseInsensitiveDict(
            {"content-type": "application/json", "x-ms-request-charge": "1", **(headers or {})}
        )
        raw.url = request.url
        return RequestsTransportResponse(request, raw)
