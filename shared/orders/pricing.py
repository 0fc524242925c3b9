"""Pricing an order from the catalog: the client sends skus and quantities, never prices.

The catalog's `find_sku` gives each sku's product, name and unit price (a variant's own price when
it has one). An unknown sku (`unknown_sku`), an archived product's sku (`sku_no_longer_sold`) or a
sku in another currency than the rest is a 422 on that line, named as the client sent it
(`items[1].sku`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from shared.catalog.service import find_sku
from shared.kernel.errors import ValidationFailed
from shared.kernel.money import Money
from shared.orders.model import OrderItem
from shared.ports.documents import DocumentStore


@dataclass(frozen=True)
class Line:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Priced:
    items: list[OrderItem]
    subtotal: Money
    total: Money
    currency: str


def price_lines(store: DocumentStore, lines: Sequence[Line]) -> Priced:
    items: list[OrderItem] = []
    currency: str | None = None
    for index, line in enumerate(lines):
        info = find_sku(store=store, sku=line.sku)
        if info is None:
            raise ValidationFailed.field(f"items[{index}].sku", f"unknown sku {line.sku}", code="unknown_sku")
        if not info.active:
            # The sku exists but its product was archived: a shopper with an old link or cart
            # needs "no longer sold", not "unknown" (a distinct problem type and code).
            raise ValidationFailed.field(
                f"items[{index}].sku", f"sku {line.sku} is no longer sold", code="sku_no_longer_sold"
            )
        if currency is not None and info.unit_price.currency != currency:
            raise ValidationFailed.field(
                f"items[{index}].sku", "all items must be sold in one currency", code="mixed_currencies"
            )
        currency = info.unit_price.currency
        items.append(
            OrderItem(
                sku=line.sku,
                product_id=info.product_id,
                name=info.name,
                quantity=line.quantity,
                unit_price=info.unit_price,
                line_total=info.unit_price * line.quantity,
            )
        )
    if currency is None:
        raise ValidationFailed.field("items", "at least one item is required")
    subtotal = Money.total((item.line_total for item in items), currency)
    if subtotal.is_zero():
        # Nothing to authorize or capture (free products exist only with allowZeroPrice, docs/security.md).
        raise ValidationFailed.field("items", "the order total must be above zero", code="zero_total")
    # No tax or shipping rules exist yet: the total is the subtotal.
    return Priced(items=items, subtotal=subtotal, total=subtotal, currency=currency)
