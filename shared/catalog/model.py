"""Catalog domain rules: skus, prices as filterable numbers, the stored product document, ETags.

The stored document is the public product (by alias) plus fields only the store uses:
`skus` (every sku the product sells), `priceMicros` (the price as an exact integer of
millionths, because listing filters compare numbers while Money stays a decimal string on the
wire) and `priceHistory` (every price the product had, newest last).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import Any

from shared.catalog.schemas import ProductCreate, ProductPublic
from shared.kernel.errors import ValidationFailed
from shared.kernel.money import Money

MICROS = Decimal(1_000_000)
# Fields of the stored document that the API does not show.
STORE_ONLY = ("productId", "skus", "priceMicros", "priceHistory", "docType")


def to_micros(amount: Decimal) -> int:
    return int(amount * MICROS)


def product_skus(data: ProductCreate) -> list[str]:
    """The product's own sku first, then its variants' (each sellable unit has one)."""
    return [data.sku, *(variant.sku for variant in data.variants)]


ZERO_PRICE_MESSAGE = "must be above zero (set allowZeroPrice on the product to sell it for 0)"


def check_price(price: Money, allow_zero: bool, field: str = "price") -> None:
    """A 0 price only for a product that allows it (`allowZeroPrice`)."""
    if price.is_zero() and not allow_zero:
        raise ValidationFailed.field(field, ZERO_PRICE_MESSAGE, code="zero_price")


def check_product(data: ProductCreate) -> None:
    """Rules across fields (pydantic checks each field): unique skus, one currency, no 0 price
    unless the product allows it."""
    check_price(data.price, data.allow_zero_price)
    seen = {data.sku}
    for index, variant in enumerate(data.variants):
        if variant.price is not None:
            check_price(variant.price, data.allow_zero_price, f"variants[{index}].price")
        if variant.sku in seen:
            raise ValidationFailed.field(f"variants[{index}].sku", f"sku {variant.sku} appears twice")
        seen.add(variant.sku)
        if variant.price is not None and variant.price.currency != data.price.currency:
            raise ValidationFailed.field(
                f"variants[{index}].price.currency",
                f"must be {data.price.currency}, like the product's price",
            )


def price_point(price: Money, at: datetime) -> dict[str, Any]:
    return {"price": price.model_dump(mode="json"), "effectiveFrom": at.isoformat()}


def new_document(product_id: str, data: ProductCreate, at: datetime) -> dict[str, Any]:
    public = ProductPublic(
        id=product_id,
        images=[],
        status="active",
        created_at=at,
        updated_at=at,
        **data.model_dump(),
    )
    doc = public.model_dump(mode="json", by_alias=True)
    doc.update(
        docType="product",
        productId=product_id,
        skus=product_skus(data),
        priceMicros=to_micros(data.price.amount),
        priceHistory=[price_point(data.price, at)],
    )
    return doc


def apply_update(doc: dict[str, Any], data: ProductCreate, at: datetime) -> list[str]:
    """Overwrite the editable fields in place; the API names of those that changed."""
    incoming = data.model_dump(mode="json", by_alias=True)
    changed = [name for name, value in incoming.items() if doc.get(name) != value]
    doc.update(incoming)
    doc["skus"] = product_skus(data)
    doc["updatedAt"] = at.isoformat()
    if "price" in changed:
        set_price(doc, data.price, at)
    return changed


def set_price(doc: dict[str, Any], price: Money, at: datetime) -> None:
    doc["price"] = price.model_dump(mode="json")
    doc["priceMicros"] = to_micros(price.amount)
    doc.setdefault("priceHistory", []).append(price_point(price, at))
    doc["updatedAt"] = at.isoformat()


def to_public(doc: dict[str, Any]) -> ProductPublic:
    return ProductPublic.model_validate(doc)


# (product id, ETag) -> the product validated from that stored version. Validating a product
# (variants, attributes, money) was a quarter of an uncached listing (docs/performance.md); a
# stored version never changes and its ETag changes with every write, so each version is
# validated once. Not a read cache: the document is still read from the store every time.
_VALIDATED_MAX = 8192
_validated: dict[tuple[str, str], ProductPublic] = {}


def stored_to_public(doc: dict[str, Any]) -> ProductPublic:
    """`to_public` for a document exactly as read from the store (with its `_etag`)."""
    etag, product_id = doc.get("_etag"), doc.get("id")
    if not isinstance(etag, str) or not isinstance(product_id, str):
        return to_public(doc)
    key = (product_id, etag)
    product = _validated.get(key)
    if product is None:
        product = to_public(doc)
        if len(_validated) >= _VALIDATED_MAX:
            _validated.clear()
        _validated[key] = product
    return product


# --- ETags --------------------------------------------------------------------------------------
def etag_header(etag: str) -> str:
    """A strong HTTP entity tag for the store's opaque ETag (Cosmos' already carry quotes)."""
    return etag if etag.startswith('"') else f'"{etag}"'


def _bare(tag: str) -> str:
    tag = tag.strip()
    if tag.startswith("W/"):
        tag = tag[2:]
    return tag.strip('"')


def etag_matches(if_match: str, etag: str) -> bool:
    """RFC 9110 If-Match: `*` or any listed tag equal to the current one."""
    current = _bare(etag)
    return any(tag.strip() == "*" or _bare(tag) == current for tag in if_match.split(","))


def slugify(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-") or "item"
