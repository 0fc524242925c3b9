"""One Cosmos DB container behind the port: SDK calls, SDK errors mapped to the port's errors."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Any

from azure.core import MatchConditions
from azure.cosmos import ContainerProxy
from azure.cosmos.exceptions import (
    CosmosAccessConditionFailedError,
    CosmosBatchOperationError,
    CosmosHttpResponseError,
    CosmosResourceExistsError,
    CosmosResourceNotFoundError,
)

from shared.adapters import cosmos_batch
from shared.adapters.cosmos_query import compile_query, pointer_accessor
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


def _error_for(status: int | None, where: str) -> DocumentStoreError:
    if status == 404:
        return DocumentNotFound(where)
    if status == 409:
        return DocumentExists(where)
    if status == 412:
        return ETagMismatch(where)
    if status == 400:
        return InvalidPatch(where)
    return DocumentStoreError(f"{where}: HTTP {status}")


class CosmosContainer(Container):
    def __init__(self, proxy: ContainerProxy, name: str, partition_key_path: str) -> None:
        self.proxy = proxy
        self.name = name
        self.partition_key_path = partition_key_path

    def _where(self, pk: str, id: str) -> str:
        return f"{self.name}/{pk}/{id}"

    def _exists(self, id: str, pk: str) -> bool:
        """Existence by query: the cosmosdb-server stand-in answers a point read of a missing
        item with 500, so a 500 is double-checked this way before being reported as such."""
        sql = (
            f"SELECT VALUE c.id FROM c WHERE c.id = @id AND {pointer_accessor(self.partition_key_path)} = @pk"
        )
        params: list[dict[str, Any]] = [{"name": "@id", "value": id}, {"name": "@pk", "value": pk}]
        return bool(list(self.proxy.query_items(sql, parameters=params, partition_key=pk)))

    def _raise_mapped(self, exc: CosmosHttpResponseError, pk: str, id: str, *, missing: type) -> None:
        if isinstance(exc, CosmosAccessConditionFailedError):
            raise ETagMismatch(self._where(pk, id)) from None
        if isinstance(exc, CosmosResourceNotFoundError) or (
            exc.status_code == 500 and not self._exists(id, pk)
        ):
            raise missing(self._where(pk, id)) from None
        if isinstance(exc, CosmosResourceExistsError):
            raise DocumentExists(self._where(pk, id)) from None
        if exc.status_code == 400:
            raise InvalidPatch(f"{self._where(pk, id)}: {exc.message}") from None
        raise exc

    def _key(self, document: Document) -> tuple[str, str]:
        return partition_key_of(document, self.partition_key_path), validate_id(document.get("id"))

    def create(self, document: Document) -> Document:
        pk, id = self._key(document)
        try:
            return _clean(self.proxy.create_item(strip_system(document), response_hook=ru_logger("create")))
        except CosmosHttpResponseError as exc:
            self._raise_mapped(exc, pk, id, missing=DocumentNotFound)
            raise

    def read(self, id: str, partition_key: str) -> Document:
        try:
            return _clean(
                self.proxy.read_item(id, partition_key=partition_key, response_hook=ru_logger("read"))
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
            return _clean(self.proxy.upsert_item(strip_system(document), response_hook=ru_logger("upsert")))
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
                    id, strip_system(document), response_hook=ru_logger("replace"), **_condition(if_match)
                )
            )
        except CosmosHttpResponseError as exc:
            self._raise_mapped(exc, pk, id, missing=missing)
            raise

    def delete(self, id: str, partition_key: str, *, if_match: str | None = None) -> None:
        try:
            self.proxy.delete_item(
                id, partition_key=partition_key, response_hook=ru_logger("delete"), **_condition(if_match)
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
                    id, partition_key, ops, response_hook=ru_logger("patch"), **_condition(if_match)
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
        sql, params = compile_query(
            query, partition_key_path=self.partition_key_path, partition_key=partition_key
        )
        raw_token: str | None = None
        if continuation_token:
            state = decode_token(continuation_token)
            if state.get("h") != fingerprint(query, partition_key) or not isinstance(state.get("c"), str):
                raise ValueError("continuation token does not belong to this query")
            raw_token = state["c"]
        scope: dict[str, Any] = (
            {"partition_key": partition_key}
            if partition_key is not None
            else {"enable_cross_partition_query": True}
        )
        pager: Any = self.proxy.query_items(
            sql, parameters=params, max_item_count=max_items, response_hook=ru_logger("query"), **scope
        ).by_page(raw_token)
        items = [_clean(d) for d in next(pager, [])]
        token = pager.continuation_token
        wrapped = encode_token({"h": fingerprint(query, partition_key), "c": token}) if token else None
        return Page(items, wrapped)

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
                sdk_ops, partition_key=partition_key, response_hook=ru_logger("batch")
            )
        except CosmosBatchOperationError as exc:
            index = exc.error_index
            status = exc.operation_responses[index].get("statusCode")
            if status == 404 and missing_is_mismatch[index]:
                status = 412
            raise BatchFailed(index, _error_for(status, f"{self.name}/{partition_key} op {index}")) from None
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
