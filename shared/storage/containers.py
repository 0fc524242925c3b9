"""Opening a container and reading one page of a query, the same way in every context."""

from __future__ import annotations

from collections.abc import Sequence

from shared.kernel.errors import ValidationFailed
from shared.ports.documents import Container, DocumentStore, Page, Query


def open_container(store: DocumentStore, name: str, pk: str, indexes: Sequence[str] = ()) -> Container:
    """The container, with expression indexes where the adapter supports declaring them."""
    try:
        return store.container(name, pk, indexes=tuple(indexes))  # type: ignore[call-arg]
    except TypeError:
        return store.container(name, pk)


def query_page(
    container: Container,
    query: Query,
    *,
    max_items: int,
    continuation_token: str | None,
    partition_key: str | None = None,
) -> Page:
    """One page of `query`. The adapters answer a continuation token they did not issue for this
    query with ValueError: that is the client's mistake (a 422 naming the field), never a 500."""
    try:
        return container.query(
            query, partition_key=partition_key, max_items=max_items, continuation_token=continuation_token
        )
    except ValueError:
        if not continuation_token:
            raise
        raise ValidationFailed.field("continuationToken", "not a token this list returned") from None
