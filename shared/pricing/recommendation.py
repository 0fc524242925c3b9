"""`GET /api/pricing/{productId}/recommendation`: the expected-profit-maximizing price of a product
from the live demand model (ONNX, `models.pricing.serving.DemandPredictor`) within guardrails.

The demand model is fitted per product (units of the product's skus that sell at the product
price, summed; realized price = revenue / units), so its key is the product id. The unit cost is
the highest cost among those skus (the margin floor then holds for each of them), MAP the highest
MAP, explicit bounds the tightest, the competitor price that of the product's own sku.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from models.pricing.recommend import Guardrails, PriceRecommendation
from shared.catalog.schemas import ProductPublic
from shared.kernel.errors import Conflict
from shared.kernel.money import Money
from shared.ports.blobs import BlobStore
from shared.ports.documents import DocumentStore
from shared.pricing.economics import get_economics
from shared.pricing.schemas import Bound, Bounds, ElasticityInterval, RecommendationPublic, SkuEconomicsPublic
from shared.settings import Settings

MODEL_NAME = "demand"
_lock = threading.Lock()
_runtime: Any = None


def demand_runtime(blobs: BlobStore, settings: Settings) -> Any:
    """The process-wide ModelRuntime of the demand model (sessions load once per process)."""
    global _runtime
    with _lock:
        if _runtime is None:
            from models.registry import CONTAINER, ModelRegistry
            from models.runtime import ModelRuntime

            registry = ModelRegistry(blobs.container(CONTAINER))
            _runtime = ModelRuntime(registry, MODEL_NAME, refresh_seconds=settings.model_refresh_seconds)
        return _runtime


def reset_runtime() -> None:
    """Tests: forget the process-wide runtime (a new blob store)."""
    global _runtime
    with _lock:
        _runtime = None


def product_price_skus(product: ProductPublic) -> list[str]:
    """The skus that sell at the product's own price (the product itself when it has no variants)."""
    if not product.variants:
        return [product.sku]
    return [v.sku for v in product.variants if v.price is None]


@dataclass(frozen=True)
class Economics:
    cost: float
    guardrails: Guardrails


def _amount(m: Money | None) -> float | None:
    return None if m is None else float(m.amount)


def product_economics(store: DocumentStore, product: ProductPublic, settings: Settings) -> Economics:
    found: list[SkuEconomicsPublic] = []
    for sku in product_price_skus(product):
        e = get_economics(store=store, sku=sku)
        if e is not None:
            found.append(e)
    if not found:
        raise Conflict(
            f"product {product.id} has no unit cost: PUT /api/pricing/skus/{{sku}} for its skus first",
            code="cost_unknown",
        )
    own = next((e for e in found if e.sku == product.sku), found[0])
    maps = [v for e in found if (v := _amount(e.map_price)) is not None]
    mins = [v for e in found if (v := _amount(e.min_price)) is not None]
    maxs = [v for e in found if (v := _amount(e.max_price)) is not None]
    guardrails = Guardrails(
        min_margin=settings.pricing_min_margin,
        max_step=settings.pricing_max_step,
        map_price=max(maps) if maps else None,
        min_price=max(mins) if mins else None,
        max_price=min(maxs) if maxs else None,
        competitor_price=_amount(own.competitor_price),
    )
    return Economics(cost=max(float(e.cost.amount) for e in found), guardrails=guardrails)


def _money(value: float | None, currency: str) -> Money | None:
    return None if value is None else Money.rounded(Decimal(f"{value:.6f}"), currency)


def to_public(product: ProductPublic, rec: PriceRecommendation, version: str) -> RecommendationPublic:
    cur = product.price.currency
    current = product.price
    lower = _money(rec.lower, cur) or current
    upper = _money(rec.upper, cur) or current
    lo, hi = rec.elasticity_interval
    return RecommendationPublic(
        product_id=product.id,
        sku=product.sku,
        current_price=current,
        recommended_price=_money(rec.price, cur) or current,
        expected_units=round(rec.expected_units, 4),
        expected_profit=_money(max(rec.expected_profit, 0.0), cur) or Money.zero(cur),
        current_expected_units=round(rec.current_expected_units, 4),
        current_expected_profit=_money(max(rec.current_expected_profit, 0.0), cur) or Money.zero(cur),
        elasticity=round(rec.elasticity, 4),
        elasticity_interval=ElasticityInterval(lower=round(lo, 4), upper=round(hi, 4)),
        bounds=Bounds(
            lower=lower,
            upper=upper,
            binding=list(rec.binding),
            guardrails={
                name: Bound(lower=_money(b[0], cur), upper=_money(b[1], cur))
                for name, b in rec.bounds.items()
            },
        ),
        feasible=rec.feasible,
        reason=rec.reason,
        model_version=version,
    )


def recommend_for_product(
    *, store: DocumentStore, blobs: BlobStore, settings: Settings, product_id: str
) -> RecommendationPublic:
    from models.pricing.serving import DemandPredictor
    from shared.catalog.service import get_product

    product = get_product(store=store, product_id=product_id).value  # 404 for an unknown product
    loaded = demand_runtime(blobs, settings).current()
    if loaded is None:
        raise Conflict("no demand model is live yet (retrain model 'demand')", code="no_demand_model")
    predictor = DemandPredictor.from_session(loaded.session, loaded.metadata)
    if product.id not in predictor.products:
        raise Conflict(
            f"the demand model {loaded.version} has no sales history of product {product.id}",
            code="no_sales_history",
        )
    economics = product_economics(store, product, settings)
    rec = predictor.recommend(
        product.id,
        current_price=float(product.price.amount),
        unit_cost=economics.cost,
        guardrails=economics.guardrails,
        period=datetime.now(UTC).date().isoformat(),
    )
    return to_public(product, rec, loaded.version)
