"""Categories and brands: small reference lists products point at (`categoryId`, `brandId`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Literal

from shared.catalog.model import slugify
from shared.catalog.repository import CatalogRepository
from shared.catalog.schemas import (
    BrandCreate,
    BrandPublic,
    BrandsPublic,
    CategoriesPublic,
    CategoryCreate,
    CategoryPublic,
)
from shared.kernel.errors import ValidationFailed
from shared.kernel.ids import new_id
from shared.ports.documents import DocumentStore

Kind = Literal["category", "brand"]


def _base(data: CategoryCreate | BrandCreate, taxon_id: str | None) -> dict[str, object]:
    return {
        "id": taxon_id or new_id(),
        "name": data.name,
        "slug": slugify(data.name),
        "description": data.description,
        "createdAt": datetime.now(UTC).isoformat(),
    }


def create_category(
    *, store: DocumentStore, data: CategoryCreate, category_id: str | None = None
) -> CategoryPublic:
    """`category_id` lets the demo seed use stable ids; the API always generates one."""
    repo = CatalogRepository(store)
    if data.parent_id is not None and repo.get_taxon("category", data.parent_id) is None:
        raise ValidationFailed.field("parentId", f"unknown category {data.parent_id}")
    doc = {**_base(data, category_id), "parentId": data.parent_id}
    return CategoryPublic.model_validate(repo.create_taxon("category", doc))


def create_brand(*, store: DocumentStore, data: BrandCreate, brand_id: str | None = None) -> BrandPublic:
    doc = _base(data, brand_id)
    return BrandPublic.model_validate(CatalogRepository(store).create_taxon("brand", doc))


def list_categories(*, store: DocumentStore, limit: int, continuation_token: str | None) -> CategoriesPublic:
    page = CatalogRepository(store).list_taxa("category", limit=limit, continuation_token=continuation_token)
    items = [CategoryPublic.model_validate(doc) for doc in page.items]
    return CategoriesPublic(items=items, continuation_token=page.continuation_token)


def list_brands(*, store: DocumentStore, limit: int, continuation_token: str | None) -> BrandsPublic:
    page = CatalogRepository(store).list_taxa("brand", limit=limit, continuation_token=continuation_token)
    items = [BrandPublic.model_validate(doc) for doc in page.items]
    return BrandsPublic(items=items, continuation_token=page.continuation_token)


def unknown_categories(*, store: DocumentStore, category_ids: list[str]) -> list[int]:
    """The positions in `category_ids` of ids that name no category (for other contexts'
    references, e.g. a user's favorite categories)."""
    repo = CatalogRepository(store)
    known: dict[str, bool] = {}
    for category_id in category_ids:
        if category_id not in known:
            known[category_id] = repo.get_taxon("category", category_id) is not None
    return [index for index, category_id in enumerate(category_ids) if not known[category_id]]
