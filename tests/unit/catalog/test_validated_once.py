"""Stored products are validated once per stored version (docs/performance.md)."""

from __future__ import annotations

from typing import Any

from shared.catalog.model import stored_to_public


def _doc(name: str, etag: str) -> dict[str, Any]:
    return {
        "id": "p-validated-once",
        "sku": "SKU-VO",
        "name": name,
        "description": "",
        "categoryId": "c",
        "brandId": "b",
        "price": {"amount": "1.00", "currency": "USD"},
        "attributes": {},
        "variants": [],
        "images": [],
        "status": "active",
        "createdAt": "2026-01-01T00:00:00+00:00",
        "updatedAt": "2026-01-01T00:00:00+00:00",
        "_etag": etag,
    }


def test_one_version_is_validated_once_and_a_new_version_again() -> None:
    first = stored_to_public(_doc("First", '"0001"'))
    assert stored_to_public(_doc("First", '"0001"')) is first
    second = stored_to_public(_doc("Second", '"0002"'))
    assert second is not first and second.name == "Second"


def test_a_document_without_an_etag_is_validated_every_time() -> None:
    doc = _doc("No etag", "")
    del doc["_etag"]
    assert stored_to_public(doc) is not stored_to_public(doc)
