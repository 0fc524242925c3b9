"""A small shop (issue 13: training must not fail with <= 10 products): the retraining steps over
real SQLite + folder blobs register a valid, parity-checked fallback version (content over
popularity), the gate promotes it, and the context serves it."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from models.recommend.training import SMALL_CATALOG_ITEMS
from models.registry import CONTAINER, ModelRegistry
from shared.adapters.folder_blobs import FolderBlobStore
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductCreate
from shared.catalog.service import create_product
from shared.catalog.taxonomy import create_brand, create_category
from shared.inventory.service import adjust_stock
from shared.kernel.money import Money
from shared.recommendations import retraining
from shared.recommendations.catalog_view import StoreCatalogView
from shared.recommendations.experiments import Experiments
from shared.recommendations.interactions import InteractionStore
from shared.recommendations.popularity import PopularityFallback
from shared.recommendations.scorer_source import MODEL_NAME, ChampionScorerSource
from shared.recommendations.service import Caller, RecsDeps, recommend, record_interaction


def _shop(tmp: Path, products: int) -> tuple[SqliteDocumentStore, FolderBlobStore, RecsDeps, list[str]]:
    docs = SqliteDocumentStore(tmp / "documents.db")
    blobs = FolderBlobStore(tmp / "blobs")
    brand = create_brand(store=docs, data=BrandCreate(name="Brand"))
    mugs = create_category(store=docs, data=CategoryCreate(name="Mugs"))
    teas = create_category(store=docs, data=CategoryCreate(name="Teas"))
    ids = []
    for n in range(products):
        category, word = (mugs, "ceramic mug") if n % 2 == 0 else (teas, "loose leaf tea")
        data = ProductCreate(
            sku=f"sku-{n}",
            name=f"{word.title()} {n}",
            description=f"{word} number {n}",
            category_id=category.id,
            brand_id=brand.id,
            price=Money(amount=Decimal("5.00"), currency="USD"),
        )
        ids.append(create_product(store=docs, data=data).value.id)
        adjust_stock(store=docs, sku=f"sku-{n}", delta=3, reason="test")
    interactions = InteractionStore(docs, cache_seconds=lambda: 0.0)
    deps = RecsDeps(
        catalog=StoreCatalogView(docs, refresh_seconds=lambda: 0.0),
        interactions=interactions,
        experiments=Experiments(docs, cache_seconds=lambda: 0.0),
        scorers=ChampionScorerSource(ModelRegistry(blobs.container(CONTAINER)), refresh_seconds=0.0),
        popularity=PopularityFallback(interactions),
    )
    return docs, blobs, deps, ids


def test_a_shop_with_no_interactions_yet_gets_a_valid_content_version(tmp_path: Path) -> None:
    docs, blobs, deps, ids = _shop(tmp_path, 4)
    result = retraining.retrain_now(docs, blobs, run_id="first")
    registry = ModelRegistry(blobs.container(CONTAINER))
    champion = registry.champion(MODEL_NAME)
    assert champion is not None and champion.version == result["version"]
    meta = registry.metadata(MODEL_NAME, champion.version)
    assert meta["parity"]["passed"] is True
    assert meta["metrics"]["fallback"] == 1.0 and meta["metrics"]["interactions"] == 0
    assert meta["metrics"]["items"] == 4
    # Served: a first click on a mug brings the other mug (content), not the teas first.
    record_interaction(deps, user_id="u1", product_id=ids[0], kind="click")
    out = recommend(deps, Caller("u1", None), limit=3)
    assert out.model_version == champion.version and out.strategy == "hybrid"
    assert out.items[0].product_id == ids[2], out
    assert out.items[0].reason.startswith("similar to "), out


def test_a_ten_product_shop_with_history_trains_gates_and_retrains(tmp_path: Path) -> None:
    docs, blobs, deps, ids = _shop(tmp_path, SMALL_CATALOG_ITEMS)
    for u in range(30):  # 60 purchases: enough for the holdout, on a catalogue smaller than top-10
        for pid in (ids[u % 3], ids[3 + u % 5]):
            record_interaction(deps, user_id=f"u{u}", product_id=pid, kind="purchase")
    first = retraining.retrain_now(docs, blobs, run_id="r1")
    assert first["evaluation"]["promoted"] is True
    metrics = first["metrics"]
    assert metrics["fallback"] == 1.0 and metrics["items"] == SMALL_CATALOG_ITEMS
    assert 0.0 < metrics["precision@10"] <= 1.0 and "popularity_precision@10" in metrics
    # The next run replaces it: the gate promotes a fallback version (nothing collaborative to judge).
    record_interaction(deps, user_id="late", product_id=ids[9], kind="purchase")
    second = retraining.retrain_now(docs, blobs, run_id="r2")
    assert second["version"] != first["version"]
    assert second["evaluation"]["promoted"] is True, second["evaluation"]
    assert second["evaluation"]["rule"].startswith("small-shop fallback")
    out = recommend(deps, Caller(None, None), limit=20)
    assert out.model_version == second["version"]
    assert {i.product_id for i in out.items} == set(ids)  # every in-stock product, best first
    assert out.items[0].product_id in {ids[0], ids[1], ids[2]} | set(ids[3:8])
