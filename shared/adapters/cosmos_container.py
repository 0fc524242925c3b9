"""One Cosmos DB container behind the port: SDK calls, SDK errors mapped to the port's errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from itertools import islice
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosBatchOperationError,
    CosmosClientTimeoutError,
    CosmosHttpResponseError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from shared.adapters import cosmos_batch
from shared.adapters.cosmos_query import (
    check_tagged,
    compile_query,
    pointer_accessor,
    sort_terms,
    tag_value,
)
from shared.adapters.doc_common import (
    MAX_PATCH_OPS,
    decode_token,
    encode_token,
    fingerprint,
    partition_key_of,
    pointer_parts,
    strip_system,
    validate_id,
)
from shared.adapters.index_policy import Composite, check_sort
from shared.ports.documents import (
    BatchFailed,
    BatchOp,
    Container,
    Document,
    DocumentExists,
    DocumentNotFound,
    DocumentStoreError,
    ETagMismatch,
    InvalidPatch,
    Page,
    PatchOp,
    Query,
    StoreBusy,
    TooLarge,
)

log = logging.getLogger("smartcommerce.cosmos")

MAX_BATCH = 100
_HIDDEN = ("_rid", "_self", "_attachments", "_lsn")
# Every batch operation names its partition (see cosmos_batch): harmless for Cosmos DB, required
# by the cosmosdb-server stand-in for anything but creates.
cosmos_batch.install()


def ru_logger(operation: str) -> Callable[..., None]:
    """A `response_hook`: the SDK calls it with the response headers (and body) of each call."""

    def hook(headers: Any, *_: Any) -> None:
        if log.isEnabledFor(logging.DEBUG) and headers is not None:
            log.debug("cosmos %s: %s RU", operation, headers.get("x-ms-request-charge", "?"))

    return hook


def _clean(document: dict[str, Any]) -> Document:
    return {k: v for k, v in document.items() if k not in _HIDDEN}


def _condition(if_match: str | None) -> dict[str, Any]:
    if if_match is None:
        return {}
    return {"etag": if_match, "match_condition": MatchConditions.IfNotModified}


def map_service_error(exc: Exception, where: str) -> Exception:
    """Service answers with no port meaning of their own become clear typed errors."""
    if isinstance(exc, CosmosClientTimeoutError):
        return StoreBusy(f"{where}: no answer within the per-call timeout")
    status = getattr(exc, "status_code", None)
    if status == 413:
        return TooLarge(f"{where}: over Cosmos DB's 2 MB request limit")
    if status == 429:
        headers = getattr(getattr(exc, "response", None), "headers", None) or {}
        retry_ms = headers.get("x-ms-retry-after-ms")
        retry_after = float(retry_ms) / 1000 if retry_ms else None
        return StoreBusy(f"{where}: throttled (429) beyond the retry budget", retry_after=retry_after)
    return exc


def _error_for(status: int | None, where: str) -> DocumentStoreError:
    if status == 404:
        return DocumentNotFound(where)
    if status == 409:
        return DocumentExists(where)
    if status == 412:
        return ETagMismatch(where)
    if status == 400:
        return InvalidPatch(where)
    if status == 413:
        return TooLarge(f"{where}: over Cosmos DB's 2 MB request limit")
    if status == 429:
        return StoreBusy(f"{where}: throttled")
    return DocumentStoreError(f"{where}: HTTP {status}")


class CosmosContainer(Container):
    def __init__(
        self,
        proxy: ContainerProxy,
        name: str,
        partition_key_path: str,
        *,
        standin_workarounds: bool = False,
        timeout_seconds: float | None = None,
    ) -> None:
        self.proxy = proxy
        self.name = name
        self.partition_key_path = partition_key_path
        # Only in development (key auth: emulator / cosmosdb-server): see _raise_mapped.
        self.standin_workarounds = standin_workarounds
        # Per-call bound (SDK retries and throttling waits included), below the Functions timeout.
        self._call: dict[str, Any] = {"timeout": timeout_seconds} if timeout_seconds else {}
        self.composites: tuple[Composite, ...] | None = None  # declared sorts (index_policy)

    def _where(self, pk: str, id: str) -> str:
        return f"{self.name}/{pk}/{id}"

    def _exists(self, id: str, pk: str) -> bool:
        """Existence by query: the cosmosdb-server stand-in answers a point read of a missing
        item with 500, so a 500 is double-checked this way before being reported as such."""
        sql = (
            f"SELECT VALUE c.id FROM c WHERE c.id = @id AND {pointer_accessor(self.partition_key_path)} = @pk"
        )
        params: list[dict[str, Any]] = [{"name": "@id", "value": id}, {"name": "@pk", "value": pk}]
        return bool(list(self.proxy.query_items(sql, parameters=params, partition_key=pk, **self._call)))

    def _raise_mapped(self, exc: CosmosHttpResponseError, pk: str, id: str, *, missing: type) -> None:
        if isinstance(exc, CosmosAccessConditionFailedError):
            raise ETagMismatch(self._where(pk, id)) from None
        # cosmosdb-server answers some operations on a missing item with 500; real Cosmos means a
        # 500, so the double check only runs against the development stand-ins.
        if isinstance(exc, CosmosResourceNotFoundError) or (
            self.standin_workarounds and exc.status_code == 500 and not self._exists(id, pk)
        ):
            raise missing(self._where(pk, id)) from None
        if isinstance(exc, CosmosResourceExistsError):
            raise DocumentExists(self._where(pk, id)) from None
        if exc.status_code == 400:
            raise InvalidPatch(f"{self._where(pk, id)}: {exc.message}") from None
        mapped = map_service_error(exc, self._where(pk, id))
        if mapped is exc:
            raise exc
        raise mapped from None

    def _key(self, document: Document) -> tuple[str, str]:
        return partition_key_of(document, self.partition_key_path), validate_id(document.get("id"))

    def create(self, document: Document) -> Document:
        pk, id = self._key(document)
        try:
            return _clean(
                self.proxy.create_item(
                    strip_system(document), response_hook=ru_logger("create"), **self._call
                )
            )
        except CosmosHttpResponseError as exc:
            self._raise_mapped(exc, pk, id, missing=DocumentNotFound)
            raise

    def read(self, id: str, partition_key: str) -> Document:
        try:
            return _clean(
                self.proxy.read_item(
                    id, partition_key=partition_key, response_hook=ru_logger("read"), **self._call
                )
            )
        except CosmosHttpResponseError as exc:
            self._raise_mapped(exc, partition_key, id, missing=DocumentNotFound)
            raise

    def upsert(self, document: Document, *, if_match: str | None = None) -> Document:
        if if_match is not None:
            # A conditional upsert can only succeed against an existing item: a missing one means
            # it was deleted since it was read, which is an ETag mismatch for the caller.
            return self._replace(document, if_match, missing=ETagMismatch)
        pk, id = self._key(document)
        try:
            return _clean(
                self.proxy.upsert_item(
                    strip_system(document), response_hook=ru_logger("upsert"), **self._call
                )
            )
        except CosmosHttpResponseError as exc:
            self._raise_mapped(exc, pk, id, missing=DocumentNotFound)
            raise

    def replace(self, document: Document, *, if_match: str | None = None) -> Document:
        return self._replace(document, if_match, missing=DocumentNotFound)

    def _replace(self, document: Document, if_match: str | None, *, missing: type) -> Document:
        pk, id = self._key(document)
        try:
            return _clean(
                self.proxy.replace_item(
                    id,
                    strip_system(document),
                    response_hook=ru_logger("replace"),
                    **self._call,
                    **_condition(if_match),
                )
            )
        except CosmosHttpResponseError as exc:
            self._raise_mapped(exc, pk, id, missing=missing)
            raise

    def delete(self, id: str, partition_key: str, *, if_match: str | None = None) -> None:
        try:
            self.proxy.delete_item(
                id,
                partition_key=partition_key,
                response_hook=ru_logger("delete"),
                **self._call,
                **_condition(if_match),
            )
        except CosmosHttpResponseError as exc:
            self._raise_mapped(exc, partition_key, id, missing=DocumentNotFound)
            raise

    def _patch_ops(self, operations: Sequence[PatchOp]) -> list[dict[str, Any]]:
        if not operations or len(operations) > MAX_PATCH_OPS:
            raise InvalidPatch(f"a patch holds 1 to {MAX_PATCH_OPS} operations")
        ops: list[dict[str, Any]] = []
        for op in operations:
            pointer_parts(op.path)
            if op.path in ("/id", self.partition_key_path):
                raise InvalidPatch(f"{op.path} cannot be patched")
            ops.append(
                {"op": op.op, "path": op.path}
                if op.op == "remove"
                else {"op": op.op, "path": op.path, "value": op.value}
            )
        return ops

    def patch(
        self, id: str, partition_key: str, operations: Sequence[PatchOp], *, if_match: str | None = None
    ) -> Document:
        ops = self._patch_ops(operations)
        try:
            return _clean(
                self.proxy.patch_item(
                    id,
                    partition_key,
                    ops,
                    response_hook=ru_logger("patch"),
                    **self._call,
                    **_condition(if_match),
                )
            )
        except CosmosHttpResponseError as exc:
            self._raise_mapped(exc, partition_key, id, missing=DocumentNotFound)
            raise

    def query(
        self,
        query: Query,
        *,
        partition_key: str | None = None,
        max_items: int = 100,
        continuation_token: str | None = None,
    ) -> Page:
        if max_items < 1:
            raise ValueError("max_items must be at least 1")
        state = self._token_state(query, partition_key, continuation_token)
        if query.order_by:
            check_sort(self.name, self.composites, query)
            return self._keyset_page(query, partition_key, max_items, state)
        return self._streaming_page(query, partition_key, max_items, state)

    def _token_state(
        self, query: Query, partition_key: str | None, token: str | None
    ) -> dict[str, Any] | None:
        if not token:
            return None
        state = decode_token(token)
        if state.get("h") != fingerprint(query, partition_key):
            raise ValueError("continuation token does not belong to this query")
        return state

    def _scope(self, partition_key: str | None) -> dict[str, Any]:
        if partition_key is not None:
            return {"partition_key": partition_key}
        return {"enable_cross_partition_query": True}

    def _keyset_page(
        self, query: Query, partition_key: str | None, max_items: int, state: dict[str, Any] | None
    ) -> Page:
        """Sorted: the SDK's tokens do not survive its client-side cross-partition merge, so the
        page is `max_items` rows strictly after the previous page's last (see cosmos_query)."""
        terms = sort_terms(query)
        after: tuple[list[list[Any]], list[str]] | None = None
        if state is not None:
            token_values, token_seen = state.get("k"), state.get("p", [])
            if not isinstance(token_values, list) or len(token_values) != len(terms):
                raise ValueError("continuation token does not belong to this query")
            if not isinstance(token_seen, list) or not all(isinstance(p, str) for p in token_seen):
                raise ValueError("malformed continuation token")
            after = ([check_tagged(v) for v in token_values], token_seen)
        sql, params = compile_query(
            query, partition_key_path=self.partition_key_path, partition_key=partition_key, after=after
        )
        rows = self._run(
            lambda: list(
                islice(
                    self.proxy.query_items(
                        sql,
                        parameters=params,
                        max_item_count=max_items + 1,  # one more row tells whether a next page exists
                        response_hook=ru_logger("query"),
                        **self._call,
                        **self._scope(partition_key),
                    ),
                    max_items + 1,
                )
            ),
            resumed=state is not None,
        )
        items = [_clean(d) for d in rows[:max_items]]
        if len(rows) <= max_items:
            return Page(items, None)
        last = items[-1]
        values = [tag_value(last, path) for path, _ in terms]
        seen: list[str] = []
        if partition_key is None:
            # The same id may sit in several partitions with the same sort values: name the ones
            # returned so the next page starts with the others (and accumulates if it spans pages).
            seen = [
                partition_key_of(d, self.partition_key_path)
                for d in items
                if [tag_value(d, path) for path, _ in terms] == values
            ]
            if state is not None and after is not None and after[0] == values:
                seen = sorted({*after[1], *seen})
        return Page(items, encode_token({"h": fingerprint(query, partition_key), "k": values, "p": seen}))

    def _streaming_page(
        self, query: Query, partition_key: str | None, max_items: int, state: dict[str, Any] | None
    ) -> Page:
        """Unsorted: one SDK page, resumed from the SDK's own token (valid on this path)."""
        raw_token: str | None = None
        if state is not None:
            if not isinstance(state.get("c"), str):
                raise ValueError("malformed continuation token")
            raw_token = state["c"]
        sql, params = compile_query(
            query, partition_key_path=self.partition_key_path, partition_key=partition_key
        )
        # This call's own response headers, through its hook: the pager's `continuation_token`
        # reads the client's `last_response_headers`, which every thread using the client shares.
        captured: dict[str, str | None] = {}
        log_ru = ru_logger("query")

        def hook(headers: Any, *rest: Any) -> None:
            log_ru(headers, *rest)
            if headers is not None:
                captured["c"] = headers.get("x-ms-continuation")

        def first_page() -> list[dict[str, Any]]:
            pager: Any = self.proxy.query_items(
                sql,
                parameters=params,
                max_item_count=max_items,
                response_hook=hook,
                **self._call,
                **self._scope(partition_key),
            ).by_page(raw_token)
            return list(next(pager, []))

        items = [_clean(d) for d in self._run(first_page, resumed=raw_token is not None)]
        token = captured.get("c")
        wrapped = encode_token({"h": fingerprint(query, partition_key), "c": token}) if token else None
        return Page(items, wrapped)

    def _run(self, call: Callable[[], list[dict[str, Any]]], *, resumed: bool) -> list[dict[str, Any]]:
        try:
            return call()
        except CosmosHttpResponseError as exc:
            if resumed and exc.status_code == 400:
                # A token that decoded but that Cosmos refuses (edited, or from an older layout):
                # the caller's input, so the same ValueError as any foreign token.
                raise ValueError("continuation token refused by the store") from None
            raise map_service_error(exc, f"{self.name} query") from None

    def batch(self, partition_key: str, operations: Sequence[BatchOp]) -> list[Document | None]:
        if not operations or len(operations) > MAX_BATCH:
            raise ValueError(f"a batch holds 1 to {MAX_BATCH} operations")
        sdk_ops: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []
        missing_is_mismatch: list[bool] = []
        pk_json = cosmos_batch.partition_key_json(partition_key)
        for op in operations:
            kind, args, kwargs = self._batch_op(partition_key, op)
            sdk_ops.append((kind, args, {**kwargs, cosmos_batch.PARTITION_KEY_KWARG: pk_json}))
            missing_is_mismatch.append(op.kind == "upsert" and op.if_match is not None)
        try:
            results = self.proxy.execute_item_batch(
                sdk_ops, partition_key=partition_key, response_hook=ru_logger("batch"), **self._call
            )
        except CosmosClientTimeoutError as exc:
            raise map_service_error(exc, f"{self.name}/{partition_key} batch") from None
        except CosmosBatchOperationError as exc:
            index = exc.error_index
            status = exc.operation_responses[index].get("statusCode")
            if status == 404 and missing_is_mismatch[index]:
                status = 412
            raise BatchFailed(index, _error_for(status, f"{self.name}/{partition_key} op {index}")) from None
        except CosmosHttpResponseError as exc:  # the whole batch refused: 413 over 2 MB, 429
            mapped = map_service_error(exc, f"{self.name}/{partition_key} batch")
            if mapped is exc:
                raise
            raise mapped from None
        out: list[Document | None] = []
        for op, result in zip(operations, results, strict=True):
            body = result.get("resourceBody")
            out.append(None if op.kind == "delete" or body is None else _clean(body))
        return out

    def _batch_op(self, pk: str, op: BatchOp) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        cond = {"if_match_etag": op.if_match} if op.if_match is not None else {}
        if op.kind in ("create", "upsert", "replace"):
            if op.document is None:
                raise ValueError(f"batch {op.kind} needs a document")
            doc_pk, id = self._key(op.document)
            if doc_pk != pk:
                raise ValueError("every document in a batch must be in the batch's partition")
            body = strip_system(op.document)
            if op.kind == "create":
                return ("create", (body,), {})
            if op.kind == "upsert" and op.if_match is None:
                return ("upsert", (body,), {})
            return ("replace", (id, body), cond)  # conditional upsert = replace (see upsert())
        if op.id is None:
            raise ValueError(f"batch {op.kind} needs an id")
        if op.kind == "delete":
            return ("delete", (op.id,), cond)
        return ("patch", (op.id, self._patch_ops(op.patch)), cond)
