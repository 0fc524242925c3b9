"""`Api`: declares HTTP functions on a blueprint and wraps each handler in the edge pipeline.

The pipeline, per request: correlation id (echoed on every response) -> server span continuing
an incoming `traceparent` -> auth and `on_authenticated` hooks -> query and body validation ->
the handler (sync or async) -> result or error mapped to a response -> one log line.
The Functions worker sees `wrapper(req)` (or `wrapper(req, client)` for durable client routes).
"""

from __future__ import annotations

import inspect
import logging
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import azure.functions as func
from pydantic import BaseModel

from shared.http.auth import ROLES
from shared.http.pipeline import handle_async, handle_sync
from shared.http.registry import Auth, RouteInfo, register

log = logging.getLogger("smartcommerce.http")

F = TypeVar("F", bound=Callable[..., Any])


def _check_auth(auth: Any) -> Auth:
    if auth is None or auth == "authenticated":
        return auth  # type: ignore[no-any-return]
    if isinstance(auth, list | tuple) and auth and all(role in ROLES for role in auth):
        return tuple(auth)
    raise ValueError(f"auth must be None, 'authenticated' or a tuple of roles from {ROLES}, not {auth!r}")


class Api:
    """`api = Api(bp, tag="catalog")`; then `@api.route("products/{productId}", ...)`."""

    def __init__(self, bp: Any, tag: str) -> None:
        self.bp = bp
        self.tag = tag
        self.routes: list[RouteInfo] = []

    def route(
        self,
        path: str,
        methods: Sequence[str] = ("GET",),
        *,
        auth: Auth | list[str] = None,
        body: type[BaseModel] | None = None,
        query: type[BaseModel] | None = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        summary: str = "",
        durable_client: bool = False,
        dev_only: bool = False,
        errors: Sequence[int] = (),
        headers: Sequence[str] = (),
        response_headers: Sequence[str] = (),
        body_required: bool = True,
        also: Sequence[int] = (),
    ) -> Callable[[F], F]:
        """Register the decorated handler `(ctx: RequestContext) -> result` as an HTTP function
        named after it. `dev_only` routes answer 404 outside development mode and are left out of
        the OpenAPI document there. `errors`: the statuses the handler answers beyond the ones the
        edge adds (auth, body, query, path); `headers` / `response_headers`: documented request
        and response headers; `body_required=False`: an empty body is `ctx.body = None`; `also`:
        other success statuses the handler answers with the same body.
        Returns the handler unchanged (so it stays unit-testable)."""
        checked_auth = _check_auth(auth)
        verbs = tuple(method.upper() for method in methods)

        def decorator(handler: F) -> F:
            is_async = inspect.iscoroutinefunction(handler)
            if durable_client and not is_async:
                raise TypeError(f"{handler.__name__}: durable_client routes must be `async def`")
            info_ref: list[RouteInfo] = []
            wrapper = self._make_wrapper(info_ref, is_async=is_async, durable_client=durable_client)
            wrapper.__name__ = handler.__name__
            wrapper.__qualname__ = handler.__qualname__
            wrapper.__module__ = handler.__module__
            wrapper.__doc__ = handler.__doc__
            info = RouteInfo(
                path=path.strip("/"),
                methods=verbs,
                auth=checked_auth,
                body=body,
                query=query,
                response=response,
                status=status,
                summary=summary or (inspect.getdoc(handler) or "").split("\n", 1)[0],
                tag=self.tag,
                function_name=handler.__name__,
                dev_only=dev_only,
                handler=handler,
                wrapper=wrapper,
                errors=tuple(errors),
                headers=tuple(headers),
                response_headers=tuple(response_headers),
                body_required=body_required,
                also=tuple(also),
            )
            info_ref.append(info)
            target: Any = wrapper
            if durable_client:
                if not hasattr(self.bp, "durable_client_input"):
                    raise TypeError(f"{handler.__name__}: durable_client routes need a df.Blueprint")
                target = self.bp.durable_client_input(client_name="client")(target)
            self.bp.route(route=info.path, methods=list(verbs), auth_level=func.AuthLevel.ANONYMOUS)(target)
            register(info)
            self.routes.append(info)
            return handler

        return decorator

    def document(
        self,
        path: str,
        methods: Sequence[str],
        *,
        function_name: str,
        auth: Auth | list[str] = None,
        response: type[BaseModel] | None = None,
        status: int = 200,
        summary: str = "",
        errors: Sequence[int] = (),
    ) -> RouteInfo:
        """List in the OpenAPI document an HTTP function the blueprint registers itself with
        `bp.route` (one that needs extra bindings `route` cannot pass, e.g. SignalR negotiate).
        Nothing is registered with the host; tests/unit/test_openapi_routes.py checks that every
        HTTP function the app serves is documented, through `route` or this."""

        def not_served_here(*_: Any) -> Any:
            raise RuntimeError(f"{function_name} is served by its own bp.route function")

        info = RouteInfo(
            path=path.strip("/"),
            methods=tuple(method.upper() for method in methods),
            auth=_check_auth(auth),
            body=None,
            query=None,
            response=response,
            status=status,
            summary=summary,
            tag=self.tag,
            function_name=function_name,
            dev_only=False,
            handler=not_served_here,
            wrapper=not_served_here,
            errors=tuple(errors),
        )
        register(info)
        self.routes.append(info)
        return info

    @staticmethod
    def _make_wrapper(info_ref: list[RouteInfo], *, is_async: bool, durable_client: bool) -> Any:
        # Plain functions with explicit annotations (no functools.wraps: the worker inspects the
        # signature and must not follow __wrapped__ to the handler's `(ctx)`).
        wrapper: Any
        if durable_client:

            async def durable_wrapper(req: func.HttpRequest, client: Any) -> func.HttpResponse:
                return await handle_async(info_ref[0], req, client)

            durable_wrapper.__annotations__ = {
                "req": func.HttpRequest,
                "client": str,
                "return": func.HttpResponse,
            }
            wrapper = durable_wrapper
        elif is_async:

            async def async_wrapper(req: func.HttpRequest) -> func.HttpResponse:
                return await handle_async(info_ref[0], req, None)

            async_wrapper.__annotations__ = {"req": func.HttpRequest, "return": func.HttpResponse}
            wrapper = async_wrapper
        else:

            def sync_wrapper(req: func.HttpRequest) -> func.HttpResponse:
                return handle_sync(info_ref[0], req)

            sync_wrapper.__annotations__ = {"req": func.HttpRequest, "return": func.HttpResponse}
            wrapper = sync_wrapper
        return wrapper
