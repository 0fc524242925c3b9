"""The OpenAPI document is generated from the registered routes and their models."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest
from pydantic import Field

from shared.http import Api, RequestContext
from shared.http.openapi import build_openapi
from shared.http.registry import ROUTES
from shared.kernel.money import Money
from shared.kernel.schema import ApiModel, ListQuery, Page
from tests.unit.edge_support import (
    fresh_settings,  # noqa: F401 - autouse fixture
    use_env,
    use_production,
)


class Variant(ApiModel):
    sku: str
    price: Money | None = None


class ProductCreate(ApiModel):
    name: str = Field(min_length=1)
    variants: list[Variant] = []


class ProductPublic(ApiModel):
    product_id: str
    name: str
    price: Money


class ProductQuery(ListQuery):
    category_id: str | None = None
    min_price: str | None = None


@pytest.fixture
def document(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[dict[str, Any]]:
    use_env(monkeypatch, tmp_path)
    saved = list(ROUTES)
    api = Api(func.Blueprint(), tag="catalog-test")

    @api.route("test-products/{productId}", methods=["GET"], response=ProductPublic)
    def get_test_product(ctx: RequestContext) -> None:
        """Read one product."""

    @api.route(
        "test-products",
        methods=["POST"],
        auth=("admin",),
        body=ProductCreate,
        response=ProductPublic,
        status=201,
    )
    def create_test_product(ctx: RequestContext) -> None: ...

    @api.route("test-products", methods=["GET"], query=ProductQuery, response=Page[ProductPublic])
    def list_test_products(ctx: RequestContext) -> None: ...

    @api.route("test-things/{n:int}/parts/{part?}", methods=["PUT", "DELETE"], auth="authenticated")
    def change_test_thing(ctx: RequestContext) -> None: ...

    @api.route("test-dev", methods=["GET"], dev_only=True)
    def test_dev_only(ctx: RequestContext) -> None: ...

    try:
        yield build_openapi()
    finally:
        ROUTES[:] = saved


def resolve_refs(node: Any, doc: dict[str, Any]) -> None:
    """Every $ref in the document points at something that exists."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            target: Any = doc
            for part in ref.removeprefix("#/").split("/"):
                target = target[part]
        for value in node.values():
            resolve_refs(value, doc)
    elif isinstance(node, list):
        for value in node:
            resolve_refs(value, doc)


def test_document_shape(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    assert {"name": "catalog-test"} in document["tags"]
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    resolve_refs(document, document)


def test_paths_use_the_api_prefix_and_plain_templates(document: dict[str, Any]) -> None:
    paths = document["paths"]
    assert {
        "/api/test-products/{productId}",
        "/api/test-products",
        "/api/test-things/{n}/parts/{part}",
    } <= set(paths)
    assert set(paths["/api/test-products"]) == {"get", "post"}
    thing = paths["/api/test-things/{n}/parts/{part}"]
    assert thing["put"]["operationId"] != thing["delete"]["operationId"]
    params = {p["name"]: p for p in thing["put"]["parameters"]}
    assert params["n"]["schema"] == {"type": "integer"} and params["n"]["in"] == "path"


def test_bodies_and_responses_reference_component_schemas(document: dict[str, Any]) -> None:
    post = document["paths"]["/api/test-products"]["post"]
    body_ref = post["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    schemas = document["components"]["schemas"]
    body_schema = schemas[body_ref.rsplit("/", 1)[1]]
    assert set(body_schema["properties"]) == {"name", "variants"}
    assert "Variant" in schemas and "Money" in schemas
    assert schemas["Money"]["properties"]["amount"]["type"] == "string"
    assert "201" in post["responses"]
    response_ref = post["responses"]["201"]["content"]["application/json"]["schema"]["$ref"]
    assert "productId" in schemas[response_ref.rsplit("/", 1)[1]]["properties"]
    assert post["summary"] and document["paths"]["/api/test-products/{productId}"]["get"]["summary"] == (
        "Read one product."
    )


def test_protected_routes_declare_security_and_problem_responses(document: dict[str, Any]) -> None:
    post = document["paths"]["/api/test-products"]["post"]
    assert post["security"] == [{"bearerAuth": []}]
    assert {"400", "401", "403", "422"} <= set(post["responses"])
    problem = document["components"]["responses"]["Problem422"]["content"]["application/problem+json"]
    assert problem["schema"]["$ref"].endswith("/ProblemDetails")
    anonymous = document["paths"]["/api/test-products/{productId}"]["get"]
    assert "security" not in anonymous and "401" not in anonymous["responses"]
    assert "403" not in document["paths"]["/api/test-things/{n}/parts/{part}"]["put"]["responses"]


def test_query_models_become_camel_case_parameters(document: dict[str, Any]) -> None:
    params = {p["name"]: p for p in document["paths"]["/api/test-products"]["get"]["parameters"]}
    assert {"limit", "continuationToken", "categoryId", "minPrice"} == set(params)
    assert params["limit"]["in"] == "query" and params["limit"]["schema"]["maximum"] == 100
    assert not params["limit"]["required"]


def test_dev_only_routes_only_in_development(
    document: dict[str, Any], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    assert "/api/test-dev" in document["paths"]
    use_production(monkeypatch, tmp_path)
    assert "/api/test-dev" not in build_openapi()["paths"]
