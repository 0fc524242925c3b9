"""Sku economics: unit cost and the price bounds of a sku, plus its supply lead time.

Kept in the pricing context's own container (`sku_economics`, partition `/sku`, id = sku), not
in the product document: the public product and listing responses are built from the product
document, so a cost that is never there can never leak into them, and a `PUT /products/{id}`
echoing a public GET cannot erase it. Admin-only routes read and write it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from shared.kernel.errors import NotFound, ValidationFailed
from shared.kernel.money import Money
from shared.ports.documents import DocumentNotFound, DocumentStore
from shared.pricing.schemas import SkuEconomicsIn, SkuEconomicsPublic

CONTAINER = "sku_economics"
PARTITION_KEY = "/sku"


def _container(store: DocumentStore) -> Any:
    return store.container(CONTAINER, PARTITION_KEY)


def _sku_price(store: DocumentStore, sku: str) -> Money:
    from shared.catalog.service import find_sku

    info = find_sku(store=store, sku=sku)
    if info is None:
        raise NotFound(f"sku {sku} does not exist")
    return info.unit_price


def get_economics(*, store: DocumentStore, sku: str) -> SkuEconomicsPublic | None:
    try:
        doc = _container(store).read(sku, sku)
    except DocumentNotFound:
        return None
    return SkuEconomicsPublic.model_validate(doc)


def read_economics(*, store: DocumentStore, sku: str) -> SkuEconomicsPublic:
    """For the admin GET: 404 for an unknown sku or one whose economics were never set."""
    _sku_price(store, sku)
    found = get_economics(store=store, sku=sku)
    if found is None:
        raise NotFound(f"sku {sku} has no cost or bounds yet (PUT them first)", code="economics_not_set")
    return found


def put_economics(*, store: DocumentStore, sku: str, data: SkuEconomicsIn) -> SkuEconomicsPublic:
    price = _sku_price(store, sku)
    errors = []
    for name in ("cost", "map_price", "min_price", "max_price", "competitor_price"):
        value = getattr(data, name)
        if value is not None and value.currency != price.currency:
            errors.append(
                {
                    "field": _camel(name) + ".currency",
                    "message": f"must be {price.currency}, the sku's currency",
                }
            )
    if data.min_price and data.max_price and data.min_price.amount > data.max_price.amount:
        errors.append({"field": "minPrice", "message": "must not exceed maxPrice"})
    if errors:
        raise ValidationFailed("the sku economics are inconsistent", errors=errors)
    public = SkuEconomicsPublic(**data.model_dump(), sku=sku, updated_at=datetime.now(UTC))
    doc = {"id": sku, **public.model_dump(mode="json", by_alias=True)}
    _container(store).upsert(doc)
    return public


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
