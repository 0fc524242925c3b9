"""Property: whatever the sku economics and guardrail settings, a served recommendation (live ONNX
demand model, `recommend_for_product`) never breaks a bound; when no price satisfies them all
it keeps the current price and says so."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from shared.adapters.folder_blobs import FolderBlobStore
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.catalog.cache import cache
from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductCreate
from shared.catalog.service import create_product
from shared.catalog.taxonomy import create_brand, create_category
from shared.kernel.money import Money
from shared.pricing.economics import put_economics
from shared.pricing.recommendation import recommend_for_product, reset_runtime
from shared.pricing.schemas import SkuEconomicsIn
from shared.settings import get_settings, reset_settings_cache
from tests.unit.analytics.support import TrainedShop, trained_shop

CENT = 0.01


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Any, TrainedShop]]:
    tmp: Path = tmp_path_factory.mktemp("guardrails")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SC_DATA_DIR", str(tmp))
        reset_settings_cache()
        reset_runtime()
        cache.clear()
        store, blobs = SqliteDocumentStore(tmp / "documents.db"), FolderBlobStore(tmp / "blobs")
        category = create_category(store=store, data=CategoryCreate(name="Garden"))
        brand = create_brand(store=store, data=BrandCreate(name="Acme"))
        counter = iter(range(100))

        def make(price: str = "20.00", stock: int = 0, sku: str | None = None) -> Any:
            body = {
                "sku": sku or f"SKU-G{next(counter):03d}",
                "name": "Guardrail product",
                "categoryId": category.id,
                "brandId": brand.id,
                "price": {"amount": price, "currency": "USD"},
            }
            return create_product(store=store, data=ProductCreate.model_validate(body)).value

        shop = trained_shop(store, blobs, make, n=3, seed=8)
        yield store, blobs, shop
        reset_runtime()
        cache.clear()
        reset_settings_cache()


def _usd(x: float) -> Money:
    return Money.rounded(Decimal(f"{x:.4f}"), "USD")


share = st.floats(0.3, 1.6, allow_nan=False)
maybe = st.none() | share


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    which=st.integers(0, 2),
    cost=st.floats(0.05, 1.3),
    map_price=maybe,
    min_price=maybe,
    max_price=maybe,
    competitor=maybe,
    min_margin=st.floats(0.0, 0.6),
    max_step=st.floats(0.01, 0.5),
)
def test_served_recommendations_never_break_a_guardrail(
    world: tuple[Any, Any, TrainedShop],
    which: int,
    cost: float,
    map_price: float | None,
    min_price: float | None,
    max_price: float | None,
    competitor: float | None,
    min_margin: float,
    max_step: float,
) -> None:
    store, blobs, shop = world
    product = shop.products[which]
    current = float(product.price.amount)
    if min_price is not None and max_price is not None and min_price > max_price:
        min_price, max_price = max_price, min_price
    economics = SkuEconomicsIn(
        cost=_usd(cost * current),
        map_price=None if map_price is None else _usd(map_price * current),
        min_price=None if min_price is None else _usd(min_price * current),
        max_price=None if max_price is None else _usd(max_price * current),
        competitor_price=None if competitor is None else _usd(competitor * current),
    )
    put_economics(store=store, sku=product.sku, data=economics)
    config = get_settings().model_copy(
        update={"pricing_min_margin": min_margin, "pricing_max_step": max_step}
    )
    rec = recommend_for_product(store=store, blobs=blobs, settings=config, product_id=product.id)
    price = float(rec.recommended_price.amount)
    if not rec.feasible:
        assert rec.recommended_price == product.price and rec.reason
        return
    unit_cost = float(economics.cost.amount)
    assert price - unit_cost >= min_margin * price - CENT
    assert abs(price - current) <= max_step * current + CENT
    for bound, check in (
        (economics.map_price, lambda b: price >= b - CENT / 2),
        (economics.min_price, lambda b: price >= b - CENT / 2),
        (economics.max_price, lambda b: price <= b + CENT / 2),
        (economics.competitor_price, lambda b: 0.8 * b - CENT <= price <= 1.2 * b + CENT),
    ):
        if bound is not None:
            assert check(float(bound.amount)), (bound, rec)
    lo, hi = float(rec.bounds.lower.amount), float(rec.bounds.upper.amount)
    assert lo - CENT <= price <= hi + CENT
