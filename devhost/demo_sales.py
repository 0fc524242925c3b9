"""devhost seeder: a year of plausible sales history for the demo shop, with known elasticities.

`models.synthetic_sales.generate_sales` (per-sku elasticities around category means, weekly and
yearly season, promotion weeks, list-price changes) is mapped onto the first demo products that
have no variants: prices are scaled so that the last day's list price is the product's catalog
price. Each sku gets its unit cost and competitor price (scaled the same way) and a lead time;
then the demand model is trained and promoted and the forecasts refreshed, so the pricing and
inventory-analytics routes answer from the first start. The truth (each sku's real elasticity)
is written to `<data dir>/demo_sales_truth.json` to compare the estimates with.

Development only: kept out of the production packages (it imports pandas and statsforecast).
"""

from __future__ import annotations

import json
import logging
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

log = logging.getLogger("devhost.seed")

SKUS = 24
DAYS = 365
SEED = 15
SEED_FORECASTS = 3


def seed_sales(
    store: Any, blobs: Any, *, n_skus: int = SKUS, days: int = DAYS, seed: int = SEED, refresh: bool = True
) -> dict[str, Any]:
    from models.synthetic_sales import generate_sales
    from shared.catalog.model import to_public
    from shared.catalog.repository import CatalogRepository
    from shared.catalog.schemas import ProductListQuery
    from shared.kernel.money import Money
    from shared.pricing.economics import put_economics
    from shared.pricing.schemas import SkuEconomicsIn
    from shared.sales.ports import SaleEntry
    from shared.sales.service import ledger

    existing = set(ledger(store).skus())
    if existing:
        return {"skipped": "sales history exists", "skus": len(existing)}
    repo = CatalogRepository(store)
    products = []
    token = None
    while True:
        page = repo.list_products(ProductListQuery(limit=100, continuation_token=token))
        products += [to_public(d) for d in page.items if not d.get("variants")]
        token = page.continuation_token
        if not token:
            break
    products = products  # every candidate; picked per category below
    # The generator's sku i belongs to its category i % 3 (its own elasticity mean): give it a
    # product of one catalog category per generator category, so the model's pooling groups
    # (catalog categories) are the groups the truth was drawn from.
    by_category: dict[str, list[Any]] = {}
    for p in sorted(products, key=lambda p: p.sku):
        by_category.setdefault(p.category_id, []).append(p)
    groups = sorted(by_category.values(), key=len, reverse=True)[:3]
    products = []
    for i in range(n_skus):
        group = groups[i % len(groups)] if groups else []
        if i // len(groups) < len(group):
            products.append(group[i // len(groups)])
    if not products:
        return {"skipped": "no products"}
    today = datetime.now(UTC).date()
    history = generate_sales(n_skus=len(products), days=days, seed=seed, start=today - timedelta(days=days))
    rng = random.Random(seed)
    truth: dict[str, Any] = {}
    entries = []
    for synthetic, product in zip(history.skus, products, strict=False):
        mask = history.sku == synthetic
        last_list = float(history.list_price[mask][-1])
        scale = float(product.price.amount) / last_list
        t = history.truth[synthetic]
        for day, units, price, promo in zip(
            history.day[mask], history.units[mask], history.price[mask], history.promo[mask], strict=True
        ):
            day_price = round(float(price) * scale, 2)
            entries.append(
                SaleEntry(
                    product.sku,
                    history.start + timedelta(days=int(day)),
                    int(units),
                    round(int(units) * day_price, 2),
                    float(promo),
                    day_price,
                )
            )
        cur = product.price.currency
        put_economics(
            store=store,
            sku=product.sku,
            data=SkuEconomicsIn(
                cost=Money.rounded(Decimal(f"{t.cost * scale:.4f}"), cur),
                competitor_price=Money.rounded(Decimal(f"{t.base_competitor * scale:.4f}"), cur),
                lead_time_days=float(rng.choice((3, 5, 7, 10, 14))),
            ),
        )
        truth[product.sku] = {
            "productId": product.id,
            "elasticity": t.elasticity,
            "category": product.category_id,
            "slowMover": t.intermittent,
        }
    ledger(store).import_days(entries)
    result: dict[str, Any] = {"skus": len(truth), "rows": len(entries), "truth": truth}
    result["demand"] = train_demand(store, blobs)
    if refresh:
        from shared.replenishment.refresh import refresh_skus
        from shared.settings import get_settings

        # A few now (each fit takes seconds); the rest come with the daily refresh, or at once
        # with POST /api/inventory/forecasts/refresh.
        result["forecasts"] = refresh_skus(
            store=store, skus=sorted(truth)[:SEED_FORECASTS], settings=get_settings()
        )
    return result


def train_demand(store: Any, blobs: Any) -> dict[str, Any]:
    """Train the demand model on the sales history and promote it (no champion yet)."""
    from models.pricing.family import promote_if_better, train_rows
    from models.registry import CONTAINER, ModelRegistry
    from shared.pricing.training import demand_rows

    registry = ModelRegistry(blobs.container(CONTAINER))
    artifact, holdout, metrics = train_rows(demand_rows(store))
    artifact.metadata.update({"source": "sales", "run": "seed"})
    version = registry.register(artifact)
    return {"version": version, "metrics": metrics, **promote_if_better(registry, version, holdout)}


def seed_demo_sales(data_dir: Path) -> None:
    """devhost seeder (`devhost.demo_sales:seed_demo_sales`), after the demo catalog."""
    from shared.composition import get_blob_store, get_document_store

    result = seed_sales(get_document_store(), get_blob_store())
    truth = result.pop("truth", None)
    if truth:
        (data_dir / "demo_sales_truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    log.info("demo sales: %s", json.dumps(result, default=str)[:2000])
