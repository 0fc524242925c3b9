"""Shared helpers for the catalog / inventory / users e2e tests (one devhost per module)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tests.e2e.helpers import ApiClient, HttpResult, unique


@dataclass
class Shop:
    api: ApiClient
    admin: str
    customer: str

    def create_refs(self) -> tuple[str, str]:
        cat = self.api.post("/api/categories", {"name": unique("Category")}, token=self.admin)
        brand = self.api.post("/api/brands", {"name": unique("Brand")}, token=self.admin)
        assert cat.status == 201 and brand.status == 201, (cat, brand)
        return cat.json()["id"], brand.json()["id"]

    def product_body(self, refs: tuple[str, str], amount: str = "19.99", **extra: Any) -> dict[str, Any]:
        return {
            "sku": extra.pop("sku", unique("SKU")),
            "name": extra.pop("name", unique("Product")),
            "description": "e2e product",
            "categoryId": refs[0],
            "brandId": refs[1],
            "price": {"amount": amount, "currency": "USD"},
            "attributes": {"material": "steel"},
            **extra,
        }

    def create_product(self, refs: tuple[str, str], **extra: Any) -> HttpResult:
        r = self.api.post("/api/products", self.product_body(refs, **extra), token=self.admin)
        assert r.status == 201, r
        return r


def shop(api: ApiClient) -> Shop:
    return Shop(
        api,
        api.dev_token(unique("admin"), roles=["admin"]),
        api.dev_token(unique("cust"), roles=["customer"]),
    )


def problem_code(r: HttpResult) -> str:
    assert r.content_type.startswith("application/problem+json"), r
    return str(r.json()["code"])


def error_fields(r: HttpResult) -> list[str]:
    assert r.status == 422, r
    return [e["field"] for e in r.json().get("errors", [])]
