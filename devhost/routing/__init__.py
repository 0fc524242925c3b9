"""HTTP route templates and matching with ASP.NET Core semantics (what Azure Functions uses)."""

from devhost.routing.router import ALL_METHODS, Match, Route, Router
from devhost.routing.template import RouteTemplateError, parse_template

__all__ = ["ALL_METHODS", "Match", "Route", "RouteTemplateError", "Router", "parse_template"]
