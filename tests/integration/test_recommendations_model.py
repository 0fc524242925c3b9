"""The real model end to end below HTTP: interactions in SQLite -> the retraining steps (fit,
ONNX export, parity, registry) -> the champion served by onnxruntime through the context, with
fold-in, exclusions, reasons, a re-blended experiment variant, and rollback."""

from __future__ import annotations

import random
from decimal import Decimal
from pathlib import Path

import pytest

from models.registry import CONTAINER, ModelRegistry
from shared.adapters.folder_blobs import FolderBlobStore
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductCreate
from shared.catalog.service import archive_product, create_product
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


class Shop:
    def __init__(self, tmp: Path) -> None:
        self.docs = SqliteDocumentStore(tmp / "documents.db")
        self.blobs = FolderBlobStore(tmp / "blobs")
        brand = create_brand(store=self.docs, data=BrandCreate(name="Brand"))
        self.groups: dict[str, list[str]] = {}
        self.names: dict[str, str] = {}
        for group in ("tents", "stoves", "packs"):
            category = create_category(store=self.docs, data=CategoryCreate(name=group.title()))
            ids = []
            for n in range(6):
                data = ProductCreate(
                    sku=f"{group}-{n}",
                    name=f"{group.title()} {n}",
                    description=f"{group} for camping",
                    category_id=category.id,
                    brand_id=brand.id,
                    price=Money(amount=Decimal("10.00"), currency="USD"),
                )
                pid = create_product(store=self.docs, data=data).value.id
                adjust_stock(store=self.docs, sku=f"{group}-{n}", delta=5, reason="test")
                ids.append(pid)
                self.names[pid] = data.name
            self.groups[group] = ids
        interactions = InteractionStore(self.docs, cache_seconds=lambda: 0.0)
        self.registry = ModelRegistry(self.blobs.container(CONTAINER))
        self.deps = RecsDeps(
            catalog=StoreCatalogView(self.docs, refresh_seconds=lambda: 0.0),
            interactions=interactions,
            experiments=Experiments(self.docs, cache_seconds=lambda: 0.0),
            scorers=ChampionScorerSource(self.registry, refresh_seconds=0.0),
            popularity=PopularityFallback(interactions),
        )
        rng = random.Random(3)
        for n in range(60):  # each shopper buys within one group
            members = self.groups[("tents", "stoves", "packs")[n % 3]]
            for pid in rng.sample(members, 4):
                record_interaction(self.deps, user_id=f"shopper-{n}", product_id=pid, kind="purchase")


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> Shop:
    s = Shop(tmp_path_factory.mktemp("recs-model"))
    result = retraining.retrain_now(s.docs, s.blobs, run_id="run-1")
    assert result["evaluation"]["promoted"] is True
    return s


def test_the_registered_version_passed_parity_and_beats_popularity(shop: Shop) -> None:
    champion = shop.registry.champion(MODEL_NAME)
    assert champion is not None
    meta = shop.registry.metadata(MODEL_NAME, champion.version)
    assert meta["parity"]["passed"] is True and meta["parity"]["max_abs_diff"] <= 1e-3
    assert meta["metrics"]["precision@10"] > meta["metrics"]["popularity_precision@10"]
    # A retry of the same run registers nothing new (idempotent by run id).
    assert retraining.train(shop.blobs, run_id="run-1")["version"] == champion.version
    assert shop.registry.versions(MODEL_NAME) == [champion.version]


def test_fold_in_serves_the_group_of_a_new_users_first_click(shop: Shop) -> None:
    user = Caller("newcomer", None)
    cold = recommend(shop.deps, user, limit=5)
    assert cold.strategy == "popular" and cold.model_version is not None
    record_interaction(shop.deps, user_id="newcomer", product_id=shop.groups["stoves"][0], kind="click")
    warm = recommend(shop.deps, user, limit=5)
    assert warm.strategy == "hybrid"
    in_group = [i for i in warm.items if i.product_id in shop.groups["stoves"]]
    assert len(in_group) >= 4, warm
    assert shop.groups["stoves"][0] not in {i.product_id for i in warm.items}
    assert {i.reason for i in in_group} <= {
        "customers also bought",
        f"similar to {shop.names[shop.groups['stoves'][0]]}",
    }


def test_purchased_and_archived_products_never_appear(shop: Shop) -> None:
    tents = shop.groups["tents"]
    record_interaction(shop.deps, user_id="buyer", product_id=tents[0], kind="purchase")
    record_interaction(shop.deps, user_id="buyer", product_id=tents[1], kind="purchase")
    archive_product(store=shop.docs, product_id=tents[2])
    for out in (
        recommend(shop.deps, Caller("buyer", None), limit=18),
        recommend(shop.deps, Caller("buyer", None), product_id=tents[3], limit=18),
    ):
        shown = {i.product_id for i in out.items}
        assert shown and not shown & {tents[0], tents[1], tents[2]}, out
    assert tents[2] not in {i.product_id for i in recommend(shop.deps, Caller(None, None), limit=18).items}


def test_a_blend_variant_is_the_same_model_with_other_weights(shop: Shop) -> None:
    live = shop.deps.scorers.current()
    assert live is not None
    content_only = shop.deps.scorers.blended(live, {"collaborative": 0.0, "content": 1.0, "popularity": 0.0})
    assert content_only is not live.scorer
    assert (
        shop.deps.scorers.blended(live, {"collaborative": 0.0, "content": 1.0, "popularity": 0.0})
        is content_only
    )
    history = {shop.groups["packs"][0]: 1.0}
    recs = content_only.recommend_from(history, 5, exclude=set())
    assert recs and all(r.reason.kind != "also_bought" for r in recs)


def test_rollback_reaches_the_serving_process(shop: Shop) -> None:
    first = shop.deps.scorers.current()
    assert first is not None
    record_interaction(shop.deps, user_id="late", product_id=shop.groups["packs"][1], kind="view")
    second = retraining.retrain_now(shop.docs, shop.blobs, run_id="run-2")
    assert second["evaluation"]["promoted"] is True
    current = shop.deps.scorers.current()
    assert current is not None and current.version == second["version"] != first.version
    shop.registry.rollback(MODEL_NAME)
    current = shop.deps.scorers.current()
    assert current is not None and current.version == first.version
