"""A shop with a year of known-elasticity sales history and a trained, promoted demand model."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from models.synthetic_sales import generate_sales
from shared.kernel.money import Money
from shared.pricing.economics import put_economics
from shared.pricing.schemas import SkuEconomicsIn
from shared.sales import service as sales


@dataclass
class TrainedShop:
    products: list[Any]
    truth: dict[str, float]  # product id -> true elasticity
    version: str


def trained_shop(
    store: Any, blobs: Any, make_product: Any, *, n: int = 6, days: int = 365, seed: int = 3
) -> TrainedShop:
    from datetime import UTC, datetime, timedelta

    from devhost.demo_sales import train_demand

    start = datetime.now(UTC).date() - timedelta(days=days)
    history = generate_sales(
        n_skus=n, days=days, seed=seed, start=start, intermittent_share=0.0, new_share=0.0
    )
    products, truth, lines = [], {}, []
    for synthetic in history.skus:
        t = history.truth[synthetic]
        last = float(history.list_price[history.sku == synthetic][-1])
        product = make_product(price=f"{last:.2f}", stock=50)
        products.append(product)
        truth[product.id] = t.elasticity
        put_economics(
            store=store,
            sku=product.sku,
            data=SkuEconomicsIn(cost=Money.rounded(Decimal(f"{t.cost:.4f}"), "USD")),
        )
        for row in history.rows():
            if row["sku"] == synthetic:
                lines.append(json.dumps({**row, "sku": product.sku}))
    sales.import_sales("\n".join(lines).encode(), store=store)
    trained = train_demand(store, blobs)
    assert trained["promoted"], trained
    return TrainedShop(products, truth, trained["version"])
