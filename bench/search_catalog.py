"""The demo shop as search documents (for the search benchmark and tests).

Uses `generate_products` of the demo catalog (imported, not copied) and its department and brand
tables for display names; the product id is the sku (the store's ids are random uuids, labels must
be stable). Popularity is seeded: the product's rating times a seeded traffic figure.
"""

from __future__ import annotations

import random

try:  # the demo generator may move to devhost/ during the architecture refactor
    from devhost.demo_data import BRANDS, DEPARTMENTS, generate_products
except ImportError:  # pragma: no cover - after the move
    from devhost.demo_data import BRANDS, DEPARTMENTS, generate_products  # type: ignore[no-redef]

from shared.search.engine import SearchDocument

DEPARTMENT_BY_ID = {f"cat-{d.key}": d for d in DEPARTMENTS}
BRAND_BY_ID = {f"brand-{i:02d}": b for i, b in enumerate(BRANDS)}


def demo_documents(count: int = 300, seed: int = 42) -> list[SearchDocument]:
    rng = random.Random(seed + 1)
    docs = []
    for body in generate_products(count, seed):
        stock = body["_stock"]
        docs.append(
            SearchDocument(
                product_id=body["sku"],
                name=body["name"],
                price=body["price"]["amount"],
                brand_id=body["brandId"],
                brand=BRAND_BY_ID[body["brandId"]],
                category_id=body["categoryId"],
                category=DEPARTMENT_BY_ID[body["categoryId"]].name,
                description=body["description"],
                attributes={k: v for k, v in body["attributes"].items() if isinstance(v, str)},
                in_stock=sum(stock.values()) > 0,
                popularity=round(float(body["attributes"]["rating"]) * rng.randint(1, 200), 1),
            )
        )
    return docs
