"""Base classes of every request/response model: camelCase on the wire, snake_case in code.

`ApiModel` is what the HTTP edge validates bodies and query strings with and serializes responses
from (by alias). `Page[T]` is the list envelope of API.md and `ListQuery` its query string.
"""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

T = TypeVar("T")

MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20


class ApiModel(BaseModel):
    """Clients send and receive camelCase; code may also construct models with field names.
    Unknown fields are ignored so that adding a field to a response never breaks a client that
    echoes a resource back (e.g. `PUT /products/{id}` with the body `GET` returned)."""

    # allow_inf_nan=False: `1e400` is well-formed JSON that parses to infinity; a float field
    # must refuse it with a 422 naming the field rather than store or compute with inf.
    model_config = ConfigDict(
        alias_generator=to_camel, populate_by_name=True, extra="ignore", allow_inf_nan=False
    )


class Page(ApiModel, Generic[T]):
    """`{"items": [...], "continuationToken": null | "..."}`; the token is opaque to clients."""

    items: list[T]
    continuation_token: str | None = None


class ListQuery(ApiModel):
    """`?limit=&continuationToken=`; list routes subclass it to add their filters."""

    limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
    continuation_token: str | None = Field(None, max_length=4096)
