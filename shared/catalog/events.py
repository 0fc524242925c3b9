"""Events the catalog publishes (CloudEvents `data` schemas)."""

from __future__ import annotations

from shared.kernel.money import Money
from shared.kernel.schema import ApiModel
from shared.messaging.events import register_event


@register_event("ProductCreated", producer="catalog", consumers=["search", "recommendations"])
class ProductCreated(ApiModel):
    """A product (and every sku it sells) now exists."""

    product_id: str
    sku: str
    skus: list[str]
    name: str
    category_id: str
    brand_id: str
    price: Money


@register_event("ProductModified", producer="catalog", consumers=["search", "recommendations"])
class ProductModified(ApiModel):
    """Fields of a product changed (`changed` lists them by their API names)."""

    product_id: str
    changed: list[str]
    skus: list[str]


@register_event("ProductArchived", producer="catalog", consumers=["search", "recommendations"])
class ProductArchived(ApiModel):
    """The product is no longer sold or listed (its history stays)."""

    product_id: str
    skus: list[str]


@register_event("PriceUpdated", producer="catalog", consumers=["pricing", "search", "notifications"])
class PriceUpdated(ApiModel):
    """The product's price changed from `oldPrice` to `newPrice`."""

    product_id: str
    sku: str
    old_price: Money
    new_price: Money
