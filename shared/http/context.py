"""What a handler receives (`RequestContext`) and may return for custom status/headers (`Response`)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import azure.functions as func
from pydantic import BaseModel

from shared.http.auth import Principal
from shared.kernel.errors import PreconditionRequired, Unauthorized

M = TypeVar("M", bound=BaseModel)


@dataclass
class RequestContext:
    req: func.HttpRequest
    correlation_id: str
    route: Mapping[str, str] = field(default_factory=dict)
    body: Any = None
    query: Any = None
    principal: Principal | None = None
    # The DurableOrchestrationClient for routes declared with durable_client=True.
    client: Any = None

    def header(self, name: str) -> str | None:
        """A request header as valid Unicode text. Hosts may pass non-UTF-8 bytes on as surrogate
        escapes, which would fail later when stored or logged (a 500); they become "?" here."""
        value = self.req.headers.get(name.lower())
        if value is None or value.isascii():
            return value
        return value.encode("utf-8", "replace").decode("utf-8")

    @property
    def if_match(self) -> str | None:
        return self.header("if-match")

    def require_if_match(self) -> str:
        """The `If-Match` value; 428 when a conditional update was sent without one."""
        value = self.if_match
        if not value:
            raise PreconditionRequired("this update requires an If-Match header with the resource's ETag")
        return value

    def require_principal(self) -> Principal:
        """The caller (typed as present), for handlers of protected routes."""
        if self.principal is None:
            raise Unauthorized("a bearer token is required")
        return self.principal

    def body_as(self, model: type[M]) -> M:
        """`ctx.body` typed as the route's body model (for mypy)."""
        if not isinstance(self.body, model):
            raise TypeError(f"the body is {type(self.body).__name__}, not {model.__name__}")
        return self.body

    def query_as(self, model: type[M]) -> M:
        if not isinstance(self.query, model):
            raise TypeError(f"the query is {type(self.query).__name__}, not {model.__name__}")
        return self.query


@dataclass
class Response:
    """A result with its own status and headers (201 + Location, ETag...). `body` may be an
    ApiModel, a dict/list, str/bytes (sent as is) or None (no body)."""

    body: Any = None
    status: int = 200
    headers: Mapping[str, str] = field(default_factory=dict)
    mimetype: str | None = None
