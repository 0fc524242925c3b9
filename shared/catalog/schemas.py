"""The catalog's API models (camelCase on the wire): one family per resource."""

from __future__ import annotations

import math
from datetime import datetime
from decimal import Decimal
from typing import Annotated, ClassVar, Literal

from pydantic import AfterValidator, Field, WithJsonSchema

from shared.kernel.money import Money
from shared.kernel.schema import ApiModel, ListQuery, Page

# Skus and ids end up in URLs and document ids (Cosmos refuses / \ ? #): keep them plain.
SKU_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"
# Infinite floats pass the type here (ApiModel refuses them everywhere else) so that `_plain`
# answers with one error naming `attributes` rather than one per union member.
AttributeValue = (
    Annotated[str, WithJsonSchema({"type": "string", "maxLength": 200})]
    | int
    | Annotated[float, Field(allow_inf_nan=True)]
    | bool
)


MAX_ATTRIBUTE_NAME = 64
MAX_ATTRIBUTE_TEXT = 200


def _plain(attributes: dict[str, AttributeValue]) -> dict[str, AttributeValue]:
    # JSON like 1e400 parses to an infinite float, which no store can write back as JSON (a 500);
    # and bounded sizes keep a product with 100 variants well under a document's size limit.
    for name, value in attributes.items():
        if not 1 <= len(name) <= MAX_ATTRIBUTE_NAME:
            raise ValueError(f"attribute names are 1 to {MAX_ATTRIBUTE_NAME} characters")
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"attribute {name!r} must be a finite number")
        if isinstance(value, str) and len(value) > MAX_ATTRIBUTE_TEXT:
            raise ValueError(f"attribute {name!r} is longer than {MAX_ATTRIBUTE_TEXT} characters")
    return attributes


# The schema states `_plain`'s limits so that a schema-valid body is never refused (API fuzz test).
Attributes = Annotated[
    dict[str, AttributeValue],
    AfterValidator(_plain),
    Field(json_schema_extra={"propertyNames": {"minLength": 1, "maxLength": 64}}),
]
ProductStatus = Literal["active", "archived"]
MAX_PRICE = Decimal(1_000_000_000)


def _bounded(price: Money) -> Money:
    # Listing filters compare an integer of millionths: keep it well inside 64 bits.
    if price.amount > MAX_PRICE:
        raise ValueError(f"price must be at most {MAX_PRICE}")
    return price


Price = Annotated[Money, AfterValidator(_bounded)]


class Variant(ApiModel):
    sku: str = Field(pattern=SKU_PATTERN)
    attributes: Attributes = Field(default_factory=dict, max_length=50)
    # Absent: the variant sells at the product's price.
    price: Price | None = None


class ProductCreate(ApiModel):
    sku: str = Field(pattern=SKU_PATTERN)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field("", max_length=5000)
    category_id: str = Field(min_length=1, max_length=64)
    brand_id: str = Field(min_length=1, max_length=64)
    price: Price
    attributes: Attributes = Field(default_factory=dict, max_length=50)
    variants: list[Variant] = Field(default_factory=list, max_length=100)
    # Zero prices are refused (a typo must not put goods up for free) unless the product says so.
    allow_zero_price: bool = Field(
        False, description="true for a product that may be priced 0 (a free sample); false refuses 0 prices"
    )


class ProductUpdate(ProductCreate):
    """PUT body: the product as GET returns it. `id`, `status`, `images`, `createdAt` and
    `updatedAt` may be present and are ignored (read-only, so a client can echo a GET back); any
    other unknown field is a 422 like on every write (shared.http.parsing.parse_body)."""

    READ_ONLY_FIELDS: ClassVar[frozenset[str]] = frozenset(
        {"id", "status", "images", "createdAt", "updatedAt"}
    )


class ProductPublic(ApiModel):
    id: str
    sku: str
    name: str
    description: str
    category_id: str
    brand_id: str
    price: Money
    attributes: Attributes
    variants: list[Variant]
    images: list[str]
    status: ProductStatus
    allow_zero_price: bool = False
    created_at: datetime
    updated_at: datetime


class SkuAvailability(ApiModel):
    sku: str
    available: int = Field(description="units orderable now (on hand minus reserved, never negative)")
    in_stock: bool


class ProductListItem(ProductPublic):
    """A product in a listing: the product plus its stock, so a shopper needs no inventory call
    per sku. Read when the page is served (not cached with the product)."""

    in_stock: bool = Field(description="true when at least one of its skus can be ordered")
    availability: list[SkuAvailability] = Field(
        description="one entry per sku that can be ordered: the product's own, then each variant's"
    )


ProductsPublic = Page[ProductPublic]
ProductListPage = Page[ProductListItem]


# A query value is always a string; pydantic's default Decimal schema (number or any decimal-ish
# string) also allowed exponents and digits beyond max_digits/decimal_places.
PriceFilter = Annotated[Decimal, WithJsonSchema({"type": "string", "pattern": r"^\d{1,12}(\.\d{1,6})?$"})]


class ProductListQuery(ListQuery):
    category: str | None = Field(None, max_length=100, description="a category's id, slug or name")
    brand: str | None = Field(None, max_length=100, description="a brand's id, slug or name")
    min_price: PriceFilter | None = Field(None, ge=0, max_digits=18, decimal_places=6)
    max_price: PriceFilter | None = Field(None, ge=0, max_digits=18, decimal_places=6)


class PriceUpdate(ApiModel):
    price: Price


class PricePoint(ApiModel):
    price: Money
    effective_from: datetime


class PriceHistoryPublic(ApiModel):
    product_id: str
    items: list[PricePoint]


class ImagePublic(ApiModel):
    url: str


class TaxonCreate(ApiModel):
    name: str = Field(min_length=1, max_length=100)
    description: str = Field("", max_length=1000)


class CategoryCreate(TaxonCreate):
    parent_id: str | None = Field(None, max_length=64)


class BrandCreate(TaxonCreate):
    pass


class CategoryPublic(ApiModel):
    id: str
    name: str
    slug: str
    description: str
    parent_id: str | None = None
    created_at: datetime


class BrandPublic(ApiModel):
    id: str
    name: str
    slug: str
    description: str
    created_at: datetime


CategoriesPublic = Page[CategoryPublic]
BrandsPublic = Page[BrandPublic]
