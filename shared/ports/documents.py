"""Document store port: what Cosmos DB (NoSQL API) gives us, nothing more.

Documents are JSON objects with a string `id`, unique within their partition. Each container has
one partition key path (e.g. `/sku`); the value at that path is the document's partition key.
Every stored document carries an `_etag` (opaque string, changes on every write); conditional
writes pass `if_match=etag` and fail with `ETagMismatch` when the document changed meanwhile.

Queries are structured (a list of filters and an ordering) rather than SQL text: each adapter
compiles them into a parameterized statement of its own dialect (Cosmos SQL, SQLite with
json_extract), so client values never become query text. Paging is by opaque continuation tokens:
a sorted query is paged by keyset on both adapters (the token carries the last row's sort values
and id; the order is the query's `order_by` then `id`, in the last term's direction), because the
Cosmos SDK's own tokens do not work for a cross-partition ORDER BY. A token the adapter did not
issue for that query, or one edited by a client, raises ValueError (callers answer 4xx).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

Document = dict[str, Any]


class DocumentStoreError(Exception):
    """Base class of the store's typed errors."""


class DocumentNotFound(DocumentStoreError):
    pass


class DocumentExists(DocumentStoreError):
    """`create` of an id that already exists in that partition."""


class ETagMismatch(DocumentStoreError):
    """An `if_match` condition failed: the document changed (or was deleted) since it was read."""


class InvalidPatch(DocumentStoreError):
    """A patch operation could not apply (missing path for replace/remove, incr of a non-number,
    patching `id` or the partition key): Cosmos answers 400 and changes nothing."""


class TooLarge(DocumentStoreError):
    """Over the store's size limit: a document or a transactional batch over 2 MB (Cosmos: 413),
    an outbox entry over what the bus takes. Retrying the same request cannot succeed."""


class StoreBusy(DocumentStoreError):
    """Throttled (429) beyond the retry budget, or the per-call timeout ran out: retry later.
    `retry_after` is the store's hint in seconds, when it gave one."""

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BatchFailed(DocumentStoreError):
    """A transactional batch was rolled back; `index` is the failing operation, `cause` its error."""

    def __init__(self, index: int, cause: DocumentStoreError) -> None:
        super().__init__(f"batch operation {index} failed: {cause!r}")
        self.index = index
        self.cause = cause


FilterOp = Literal["=", "!=", "<", "<=", ">", ">=", "in", "contains", "startswith", "defined", "undefined"]


@dataclass(frozen=True)
class Filter:
    """`path` is dotted (`price.amount`, `status`). `in` takes a list; `contains` means the array at
    `path` contains `value`; `defined`/`undefined` take no value."""

    path: str
    op: FilterOp
    value: Any = None


@dataclass(frozen=True)
class Query:
    where: Sequence[Filter] = ()
    order_by: Sequence[tuple[str, Literal["asc", "desc"]]] = ()


@dataclass(frozen=True)
class Page:
    items: list[Document]
    continuation_token: str | None = None


@dataclass(frozen=True)
class PatchOp:
    """Cosmos patch semantics; `path` is a JSON pointer (`/stock/onHand`)."""

    op: Literal["add", "set", "replace", "remove", "incr"]
    path: str
    value: Any = None


@dataclass(frozen=True)
class BatchOp:
    """One write in a transactional batch. `document` for create/upsert/replace; `id` for
    delete/patch; `patch` for patch."""

    kind: Literal["create", "upsert", "replace", "delete", "patch"]
    document: Document | None = None
    id: str | None = None
    if_match: str | None = None
    patch: Sequence[PatchOp] = field(default_factory=tuple)


class Container(ABC):
    name: str
    partition_key_path: str

    @abstractmethod
    def create(self, document: Document) -> Document:
        """Insert; `DocumentExists` if the id exists in the partition. Returns it with `_etag`."""

    @abstractmethod
    def read(self, id: str, partition_key: str) -> Document:
        """`DocumentNotFound` if absent."""

    @abstractmethod
    def upsert(self, document: Document, *, if_match: str | None = None) -> Document: ...

    @abstractmethod
    def replace(self, document: Document, *, if_match: str | None = None) -> Document:
        """`DocumentNotFound` if absent, `ETagMismatch` if `if_match` is stale."""

    @abstractmethod
    def delete(self, id: str, partition_key: str, *, if_match: str | None = None) -> None: ...

    @abstractmethod
    def patch(
        self, id: str, partition_key: str, operations: Sequence[PatchOp], *, if_match: str | None = None
    ) -> Document: ...

    @abstractmethod
    def query(
        self,
        query: Query,
        *,
        partition_key: str | None = None,
        max_items: int = 100,
        continuation_token: str | None = None,
    ) -> Page:
        """Within one partition when `partition_key` is given, else across partitions."""

    @abstractmethod
    def batch(self, partition_key: str, operations: Sequence[BatchOp]) -> list[Document | None]:
        """All operations or none, within one partition. Results in order (None for deletes)."""

    def query_versions(
        self,
        query: Query,
        *,
        partition_key: str | None = None,
        max_items: int = 100,
        continuation_token: str | None = None,
    ) -> Page:
        """`query`, each item reduced to `{"id", "_pk", "_etag"}` (`_pk`: its partition key): the
        same rows, order and continuation tokens (a token of one pages the other). For callers
        that keep what they derive from a stored version (keyed by id and ETag) and need the
        body only for versions they have not seen; an adapter may answer it without reading or
        decoding bodies (the embedded one does)."""
        page = self.query(
            query, partition_key=partition_key, max_items=max_items, continuation_token=continuation_token
        )
        pk_path = self.partition_key_path.strip("/").split("/")
        items: list[Document] = []
        for doc in page.items:
            pk: Any = doc
            for part in pk_path:
                pk = pk.get(part) if isinstance(pk, dict) else None
            items.append({"id": doc["id"], "_pk": pk, "_etag": doc["_etag"]})
        return Page(items, page.continuation_token)

    def query_all(self, query: Query, *, partition_key: str | None = None) -> list[Document]:
        """Every page of `query` (for small result sets: admin tools, projections, tests)."""
        items: list[Document] = []
        token: str | None = None
        while True:
            page = self.query(query, partition_key=partition_key, continuation_token=token)
            items.extend(page.items)
            token = page.continuation_token
            if not token:
                return items


class DocumentStore(ABC):
    @abstractmethod
    def container(self, name: str, partition_key_path: str, *, indexes: Sequence[str] = ()) -> Container:
        """The container `name`, created with that partition key path if needed.

        `indexes`: dotted paths the container's queries filter or sort on. The embedded adapter
        makes each a stored generated column with an index on it (calling again with more paths
        adds them); Cosmos indexes every path by default and ignores it."""

    def health(self) -> None:  # noqa: B027 - optional override
        """Raise if the store cannot be reached."""
