"""OpenAPI 3.1 document built from the route registry and the pydantic models routes validate with,
so the served contract cannot drift from the code."""

from __future__ import annotations

import operator
import re
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from shared.http.registry import RouteInfo, routes
from shared.kernel.schema import ApiModel
from shared.kernel.text import NO_CONTROL_PATTERN
from shared.settings import get_settings

REF_TEMPLATE = "#/components/schemas/{model}"
_INT_CONSTRAINTS = {"int", "long"}


class FieldError(ApiModel):
    field: str
    message: str


class ProblemDetails(ApiModel):
    """RFC 9457 problem details, with the stable `code` clients branch on."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    correlation_id: str | None = None
    errors: list[FieldError] | None = None


_ERRORS = {
    "400": "Malformed request (e.g. invalid JSON)",
    "401": "Missing, invalid or expired bearer token",
    "403": "The caller lacks the required role",
    "404": "Not found",
    "409": "The resource's state does not allow this (`code` says why)",
    "412": "`If-Match` names an older version of the resource; fetch it again",
    "413": "The resource would exceed the store's size limit",
    "415": "The body is not `application/json`",
    "422": "Validation failed; `errors` lists the fields",
    "428": "This update requires `If-Match` with the resource's `ETag`",
}

# Request headers routes declare (`Api.route(headers=...)`), as reusable parameters.
HEADERS: dict[str, dict[str, Any]] = {
    "Idempotency-Key": {
        "name": "Idempotency-Key",
        "in": "header",
        "required": False,
        "description": "A repeat with the same key and body returns the first result and does "
        "nothing again; the same key with another body is a 422 `idempotency_key_reused`",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"},
    },
    "If-Match": {
        "name": "If-Match",
        "in": "header",
        "required": False,
        "description": "The `ETag` of the version the change is based on; 412 when it moved on",
        "schema": {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[\\x21-\\x7e]+$"},
    },
}
# Success response headers routes declare (`Api.route(response_headers=...)`).
RESPONSE_HEADERS: dict[str, dict[str, Any]] = {
    "ETag": {
        "description": "The version of the resource (send it as `If-Match`)",
        "schema": {"type": "string"},
    },
    "Location": {"description": "Where the created or accepted resource is", "schema": {"type": "string"}},
    "Retry-After": {
        "description": "Seconds to wait before polling the resource at `Location`",
        "schema": {"type": "integer", "minimum": 0},
    },
}


def _ref_name(name: str) -> str:
    return name.replace("-", "")


def _schemas(selected: list[RouteInfo]) -> tuple[dict[Any, Any], dict[str, Any]]:
    wanted: list[tuple[type[BaseModel], JsonSchemaMode]] = [(ProblemDetails, "serialization")]
    for info in selected:
        wanted += [(model, "validation") for model in (info.body, info.query) if model is not None]
        if info.response is not None:
            wanted.append((info.response, "serialization"))
    unique = list(dict.fromkeys(wanted))
    refs, defs = models_json_schema(unique, by_alias=True, ref_template=REF_TEMPLATE)
    return dict(refs), defs.get("$defs", {})


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
        resolved: dict[str, Any] = components[ref.rsplit("/", 1)[1]]
        return resolved
    return schema


def _parameters(info: RouteInfo, refs: dict[Any, Any], components: dict[str, Any]) -> list[dict[str, Any]]:
    params: list[dict[str, Any]] = [
        {
            "name": name,
            "in": "path",
            "required": True,
            "schema": {"type": "integer"} if constraint in _INT_CONSTRAINTS else {"type": "string"},
        }
        for name, constraint in info.path_params()
    ]
    if info.query is not None:
        schema = _resolve(refs[(info.query, "validation")], components)
        required = set(schema.get("required", []))
        for name, prop in schema.get("properties", {}).items():
            params.append({"name": name, "in": "query", "required": name in required, "schema": prop})
    params += [{"$ref": f"#/components/parameters/{_ref_name(name)}"} for name in info.headers]
    return params


def _operation(
    info: RouteInfo, method: str, refs: dict[Any, Any], components: dict[str, Any]
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "operationId": info.function_name if len(info.methods) == 1 else f"{info.function_name}_{method}",
        "tags": [info.tag],
        "summary": info.summary or info.function_name.replace("_", " "),
    }
    params = _parameters(info, refs, components)
    if params:
        operation["parameters"] = params
    if info.body is not None:
        operation["requestBody"] = {
            "required": info.body_required,
            "content": {"application/json": {"schema": refs[(info.body, "validation")]}},
        }
    success: dict[str, Any] = {"description": "Success"}
    if info.response is not None:
        success["content"] = {"application/json": {"schema": refs[(info.response, "serialization")]}}
    if info.response_headers:
        success["headers"] = {
            name: {"$ref": f"#/components/headers/{_ref_name(name)}"} for name in info.response_headers
        }
    responses: dict[str, Any] = {str(code): success for code in (info.status, *info.also)}
    codes = [str(code) for code in info.errors]
    if info.body is not None:
        codes += ["400", "415", "422"]
    if info.query is not None:
        codes.append("422")
    if info.auth is not None:
        codes.append("401")
        operation["security"] = [{"bearerAuth": []}]
    if isinstance(info.auth, tuple):
        codes.append("403")
    if info.path_params():
        codes.append("404")
    for code in sorted(set(codes)):
        if code not in _ERRORS:
            raise ValueError(f"{info.function_name}: no problem response {code} in openapi._ERRORS")
        responses[code] = {"$ref": f"#/components/responses/Problem{code}"}
    operation["responses"] = responses
    return operation


# The last document and the routes it was built from (held, so compared by identity safely).
_cache: list[tuple[list[RouteInfo], dict[str, Any]]] = []


def build_openapi(selected: list[RouteInfo] | None = None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of `selected` routes (default: every registered route; routes
    marked dev_only only in development mode). Cached: routes are fixed once the app is imported."""
    if selected is None:
        development = get_settings().is_development
        selected = [info for info in routes() if development or not info.dev_only]
    if _cache:
        built_from, document = _cache[0]
        same = len(built_from) == len(selected) and all(map(operator.is_, built_from, selected))
        if same:
            return document
    document = _build(selected)
    _cache[:] = [(list(selected), document)]
    return document


def _refuse_unknown_body_fields(
    selected: list[RouteInfo], refs: dict[Any, Any], components: dict[str, Any]
) -> None:
    """Every object schema a request body reaches says `additionalProperties: false`.

    The edge refuses unknown body fields with a 422 (shared.http.parsing.parse_body), so the document
    says so and clients (and schemathesis) know an extra field is invalid, not ignored. A schema a
    response shares (Money) gets it too: responses serialize exactly their declared fields."""
    for node in _walk_schemas([info.body for info in selected], refs, components):
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)


def _walk_schemas(
    models: list[Any], refs: dict[Any, Any], components: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """Every schema node the given (validation-mode) models reach, once each."""
    pending: list[Any] = [refs[(model, "validation")] for model in models if model is not None]
    seen: set[int] = set()
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
            continue
        if not isinstance(node, dict) or id(node) in seen:
            continue
        seen.add(id(node))
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            pending.append(components[ref.rsplit("/", 1)[1]])
        yield node
        for key, value in node.items():
            if key in ("properties", "$defs"):
                pending.extend(value.values())
            elif isinstance(value, dict | list):
                pending.append(value)


# An anchored pattern of printable-ASCII literals and positive classes only (skus, ids) admits no
# control character already: it needs no second pattern.
_PRINTABLE_ONLY = re.compile(
    r"\^(?:\[[A-Za-z0-9._:@+ -]+\]|[A-Za-z0-9_:@+ -])(?:\{\d+(?:,\d*)?\}|[*+?])?"
    r"(?:(?:\[[A-Za-z0-9._:@+ -]+\]|[A-Za-z0-9_:@+ -])(?:\{\d+(?:,\d*)?\}|[*+?])?)*\$"
)


def _no_control_characters(node: dict[str, Any]) -> None:
    """Add the rule to one string schema: as its pattern, or beside a pattern of its own."""
    if "pattern" not in node:
        node["pattern"] = NO_CONTROL_PATTERN
    elif node["pattern"] != NO_CONTROL_PATTERN and not _PRINTABLE_ONLY.fullmatch(node["pattern"]):
        # One `pattern` per schema: a second one goes in allOf (e.g. search's `q`, which is `\S`).
        node.setdefault("allOf", []).append({"pattern": NO_CONTROL_PATTERN})


def _state_no_control_characters(
    selected: list[RouteInfo], refs: dict[Any, Any], components: dict[str, Any]
) -> None:
    """The edge refuses control characters in every string a client sends (shared.kernel.text):
    each string (unless an enum, a const or a format already rules them out) and each free-form
    object's keys say so, so that schema-valid input is never refused for it."""
    models = [model for info in selected for model in (info.body, info.query)]
    for node in list(_walk_schemas(models, refs, components)):
        if node.get("type") == "string" and not {"enum", "const", "format"} & node.keys():
            _no_control_characters(node)
        elif node.get("type") == "object" and isinstance(node.get("additionalProperties"), dict):
            names = node.setdefault("propertyNames", {})
            if isinstance(names, dict):
                _no_control_characters(names)


def _build(selected: list[RouteInfo]) -> dict[str, Any]:
    refs, components = _schemas(selected)
    _refuse_unknown_body_fields(selected, refs, components)
    _state_no_control_characters(selected, refs, components)
    paths: dict[str, dict[str, Any]] = {}
    for info in selected:
        item = paths.setdefault(info.openapi_path, {})
        for method in info.methods:
            item[method.lower()] = _operation(info, method.lower(), refs, components)
    problem = refs[(ProblemDetails, "serialization")]
    return {
        "openapi": "3.1.0",
        "info": {"title": "SmartCommerce API", "version": "1.0.0"},
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": components,
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "parameters": {_ref_name(name): spec for name, spec in HEADERS.items()},
            "headers": {_ref_name(name): spec for name, spec in RESPONSE_HEADERS.items()},
            "responses": {
                f"Problem{code}": {
                    "description": text,
                    "content": {"application/problem+json": {"schema": problem}},
                }
                for code, text in _ERRORS.items()
            },
        },
        "tags": [{"name": tag} for tag in sorted({info.tag for info in selected})],
    }
