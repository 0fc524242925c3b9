"""The HTTP edge: `Api` declares routes on a blueprint; handlers get a `RequestContext` and return
a model, a dict/list, None (204) or a `Response`. See `shared.http.api` for the pipeline."""

from shared.http.api import Api
from shared.http.context import RequestContext, Response
from shared.http.hooks import on_authenticated
from shared.http.registry import RouteInfo, routes

__all__ = ["Api", "RequestContext", "Response", "RouteInfo", "on_authenticated", "routes"]
