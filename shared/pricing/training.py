"""The demand model's training rows from the sales history: one row per product and day.

The model is per product (the price the catalog sets): units of the skus that sell at the
product's price are summed, the realized price is their revenue / units (the day's price when no
unit sold), promo the largest share of the day. Skus with a variant price of their own are left
out (their price is not the product's). Runs in the retraining activity and the seeder.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from shared.ports.documents import DocumentStore


def demand_rows(store: DocumentStore) -> list[dict[str, Any]]:
    from shared.catalog.service import find_sku, get_product
    from shared.pricing.recommendation import product_price_skus
    from shared.sales.service import all_skus, daily_series

    by_product: dict[str, list[str]] = defaultdict(list)
    category: dict[str, str] = {}
    for sku in all_skus(store=store):
        info = find_sku(store=store, sku=sku)
        if info is None:
            continue
        product = get_product(store=store, product_id=info.product_id).value
        if sku in product_price_skus(product):
            by_product[product.id].append(sku)
            category[product.id] = product.category_id
    rows: list[dict[str, Any]] = []
    for product_id, skus in sorted(by_product.items()):
        units: dict[str, int] = defaultdict(int)
        revenue: dict[str, float] = defaultdict(float)
        price: dict[str, float] = {}
        promo: dict[str, float] = defaultdict(float)
        for sku in skus:
            for d in daily_series(sku, store=store):
                day = d.day.isoformat()
                units[day] += d.units
                if d.price:
                    revenue[day] += d.units * d.price
                    price.setdefault(day, d.price)
                promo[day] = max(promo[day], d.promo)
        for day in sorted(units):
            if day not in price:
                continue
            p = revenue[day] / units[day] if units[day] > 0 and revenue[day] > 0 else price[day]
            rows.append(
                {
                    "product_id": product_id,
                    "category": category[product_id],
                    "date": day,
                    "units": units[day],
                    "price": round(p, 4),
                    "promo": promo[day],
                }
            )
    return rows
