"""Every route declared through `Api.route`, for the OpenAPI generator and for tests."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel

Auth = None | Literal["authenticated"] | tuple[str, ...]

# `{name}`, `{name:constraint}`, `{name?}` and catch-all `{*name}`: group 1 is the bare name.
_PARAM = re.compile(r"\{\*?([^}:?*]+)(?::([^}?]+))?\??\}")


@dataclass(frozen=True)
class RouteInfo:
    path: str  # as given to the Functions host, constraints included: "products/{productId}"
    methods: tuple[str, ...]
    auth: Auth
    body: type[BaseModel] | None
    query: type[BaseModel] | None
    response: type[BaseModel] | None
    status: int
    summary: str
    tag: str
    function_name: str
    dev_only: bool
    handler: Callable[..., Any]
    # What the Functions worker calls: `(req)` or `(req, client)`.
    wrapper: Callable[..., Any]
    # Statuses the handler itself may answer besides the ones the edge adds for auth, body, query
    # and path parameters (409 state conflict, 412 stale If-Match, 428...): the OpenAPI document
    # lists them, and the fuzz test fails on any status a route answers that it does not list.
    errors: tuple[int, ...] = ()
    # Request headers the route reads (documented as header parameters): names from HEADERS.
    headers: tuple[str, ...] = ()
    # Headers of the success response (`ETag`, `Location`, `Retry-After`).
    response_headers: tuple[str, ...] = ()
    # False: the body may be left out (e.g. `POST /orders/{id}/ship` without tracking details).
    body_required: bool = True
    # Other success statuses with the same body (a repeated create answered 200 with the first).
    also: tuple[int, ...] = ()

    @property
    def openapi_path(self) -> str:
        """`/api/products/{productId}`: route constraints (`{id:int}`, `{id?}`) stripped."""
        return "/api/" + _PARAM.sub(lambda m: "{" + m.group(1) + "}", self.path.strip("/"))

    def path_params(self) -> list[tuple[str, str | None]]:
        """`(name, constraint)` of each template parameter, in order."""
        return [(m.group(1), m.group(2)) for m in _PARAM.finditer(self.path)]


ROUTES: list[RouteInfo] = []


def register(info: RouteInfo) -> None:
    ROUTES.append(info)


def routes() -> list[RouteInfo]:
    return list(ROUTES)
