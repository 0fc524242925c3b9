"""Serving rules on the real SQLite store: cold start, exclusions, fold-in, reasons, experiments."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from shared.kernel.errors import ValidationFailed
from shared.messaging.events import CloudEvent
from shared.recommendations.events import on_order_confirmed
from shared.recommendations.schemas import ExperimentCreate
from shared.recommendations.service import Caller, erase_user, recommend, record_interaction
from tests.unit.recommendations.builders import FixedCatalog, GraphScorer, deps_for, item

ALICE = Caller("alice", None)
ANON = Caller(None, None)


@pytest.fixture
def catalog() -> FixedCatalog:
    return FixedCatalog(
        [
            item("p1", "tents"),
            item("p2", "tents"),
            item("p3", "stoves"),
            item("p4", "stoves"),
            item("p5", "tents"),
            item("p6", "stoves"),
        ]
    )


@pytest.fixture
def scorer() -> GraphScorer:
    links = {"p1": {"p2": 0.9, "p5": 0.5}, "p3": {"p4": 0.8, "p6": 0.4}, "p2": {"p1": 0.9}}
    cats = {"p1": "tents", "p2": "tents", "p5": "tents", "p3": "stoves", "p4": "stoves", "p6": "stoves"}
    return GraphScorer(links, popularity=["p6", "p5", "p4", "p3", "p2", "p1"], categories=cats)


def test_cold_start_serves_popularity(tmp_path: Path, catalog: FixedCatalog, scorer: GraphScorer) -> None:
    deps = deps_for(catalog, scorer, tmp=tmp_path)
    for caller in (ANON, ALICE):  # anonymous, and a known user without any history
        out = recommend(deps, caller, limit=3)
        assert out.strategy == "popular"
        assert [i.product_id for i in out.items] == ["p6", "p5", "p4"]
        assert {i.reason for i in out.items} == {"popular"}
        assert out.model_version == "v-test" and out.variant is None


def test_without_a_model_popularity_comes_from_recent_interactions(
    tmp_path: Path, catalog: FixedCatalog
) -> None:
    deps = deps_for(catalog, None, tmp=tmp_path)
    for user, pid in [("u1", "p3"), ("u2", "p3"), ("u3", "p1")]:
        record_interaction(deps, user_id=user, product_id=pid, kind="purchase")
    out = recommend(deps, ANON, limit=3)
    assert out.strategy == "popular" and out.model_version is None
    assert [i.product_id for i in out.items][:2] == ["p3", "p1"]


def test_an_interaction_changes_the_next_response_without_retraining(
    tmp_path: Path, catalog: FixedCatalog, scorer: GraphScorer
) -> None:
    deps = deps_for(catalog, scorer, tmp=tmp_path)
    before = recommend(deps, ALICE, limit=2)
    record_interaction(deps, user_id="alice", product_id="p3", kind="click")
    after = recommend(deps, ALICE, limit=2)
    assert before.strategy == "popular" and after.strategy == "hybrid"
    assert [i.product_id for i in after.items] == ["p4", "p6"]
    assert after.items[0].reason == "similar to Product p3"
    record_interaction(deps, user_id="alice", product_id="p1", kind="add_to_cart")
    assert recommend(deps, ALICE, limit=1).items[0].product_id == "p2"  # newest signal is stronger


def test_purchased_archived_and_out_of_stock_never_appear(
    tmp_path: Path, catalog: FixedCatalog, scorer: GraphScorer
) -> None:
    deps = deps_for(catalog, scorer, tmp=tmp_path)
    record_interaction(deps, user_id="alice", product_id="p1", kind="view")
    record_interaction(deps, user_id="alice", product_id="p2", kind="purchase")
    catalog.set("p5", active=False)
    catalog.set("p6", in_stock=False)
    for out in (
        recommend(deps, ALICE, limit=10),
        recommend(deps, ALICE, product_id="p1", limit=10),
        recommend(deps, ANON, limit=10),
    ):
        shown = {i.product_id for i in out.items}
        assert not shown & {"p5", "p6"}, out
    for out in (recommend(deps, ALICE, limit=10), recommend(deps, ALICE, product_id="p3", limit=10)):
        assert out.items and "p2" not in {i.product_id for i in out.items}, out
    # Every tent is bought, archived or the page itself: nothing rather than something excluded.
    assert recommend(deps, ALICE, product_id="p1", limit=10).items == []


def test_product_page_shows_customers_also_bought_then_category_popularity(
    tmp_path: Path, catalog: FixedCatalog, scorer: GraphScorer
) -> None:
    deps = deps_for(catalog, scorer, tmp=tmp_path)
    out = recommend(deps, ANON, product_id="p1", limit=5)
    assert out.strategy == "also_bought"
    assert [i.product_id for i in out.items] == ["p2", "p5"]
    assert {i.reason for i in out.items} == {"customers also bought"}
    cold = recommend(deps, ANON, product_id="p4", limit=5)  # no co-purchases known for p4
    assert cold.strategy == "popular"
    assert [i.product_id for i in cold.items] == ["p6", "p3"]
    assert {i.reason for i in cold.items} == {"popular in Category stoves"}
    with pytest.raises(ValidationFailed):
        recommend(deps, ANON, product_id="nope", limit=5)


def test_unknown_product_interaction_is_refused_and_stores_nothing(
    tmp_path: Path, catalog: FixedCatalog, scorer: GraphScorer
) -> None:
    deps = deps_for(catalog, scorer, tmp=tmp_path)
    with pytest.raises(ValidationFailed) as err:
        record_interaction(deps, user_id="alice", product_id="ghost", kind="view")
    assert err.value.errors[0]["field"] == "productId"
    assert deps.interactions.history("alice") == []


def _order_event(event_id: str, user: str, products: list[str]) -> CloudEvent:
    order = {"id": "o1", "customerId": user, "items": [{"sku": f"s-{p}", "productId": p} for p in products]}
    return CloudEvent(
        id=event_id,
        source="smartcommerce.orders",
        type="OrderConfirmed",
        subject="o1",
        time=datetime.now(UTC),
        data={"orderId": "o1", "customerId": user, "status": "confirmed", "order": order},
    )


def test_order_confirmed_records_purchases_once(
    tmp_path: Path, catalog: FixedCatalog, scorer: GraphScorer
) -> None:
    deps = deps_for(catalog, scorer, tmp=tmp_path)
    event = _order_event("evt-1", "bob", ["p3", "p3", "p1"])
    assert on_order_confirmed(event, deps) == 2
    assert on_order_confirmed(event, deps) == 0  # redelivered: nothing twice
    history = deps.interactions.history("bob")
    assert sorted((h.product_id, h.type) for h in history) == [("p1", "purchase"), ("p3", "purchase")]
    shown = {i.product_id for i in recommend(deps, Caller("bob", None), limit=10).items}
    assert not shown & {"p1", "p3"}


def test_experiment_variant_strategy_exposure_and_conversion(
    tmp_path: Path, catalog: FixedCatalog, scorer: GraphScorer
) -> None:
    deps = deps_for(catalog, scorer, tmp=tmp_path)
    deps.experiments.create(
        ExperimentCreate.model_validate(
            {
                "name": "pop-vs-hybrid",
                "target": "recommendations",
                "variants": [
                    {"name": "control", "weight": 1, "config": {"strategy": "hybrid"}},
                    {"name": "popular", "weight": 1, "config": {"strategy": "popular"}},
                ],
            }
        ),
        by="admin",
    )
    seen: dict[str, str] = {}
    for n in range(40):
        user = f"user-{n}"
        record_interaction(deps, user_id=user, product_id="p1", kind="view")
        out = recommend(deps, Caller(user, None), limit=3)
        assert out.variant in {"control", "popular"}
        assert out.strategy == ("popular" if out.variant == "popular" else "hybrid")
        assert recommend(deps, Caller(user, None), limit=3).variant == out.variant  # sticky
        seen[user] = out.variant or ""
        if n % 4 == 0:
            record_interaction(deps, user_id=user, product_id="p2", kind="click")
            record_interaction(deps, user_id=user, product_id="p2", kind="purchase")  # counted once
    results = deps.experiments.results("pop-vs-hybrid")
    by_name = {v.name: v for v in results.variants}
    assert sum(v.exposures for v in results.variants) == 40
    assert sum(v.conversions for v in results.variants) == 10
    assert by_name["control"].lift is None and by_name["control"].p_value is None
    assert by_name["control"].exposures == sum(1 for v in seen.values() if v == "control")
    anon = recommend(deps, Caller(None, "client-1"), limit=3)
    assert anon.variant is not None  # anonymous clients are assigned by their client id
    assert recommend(deps, ANON, limit=3).variant is None  # no id at all: outside the experiment
    deps.experiments.stop("pop-vs-hybrid")
    assert recommend(deps, Caller("user-1", None), limit=3).variant is None
    assert deps.experiments.results("pop-vs-hybrid").status == "stopped"


def test_erase_user_removes_history_and_experiment_membership(
    tmp_path: Path, catalog: FixedCatalog, scorer: GraphScorer
) -> None:
    deps = deps_for(catalog, scorer, tmp=tmp_path)
    deps.experiments.create(
        ExperimentCreate.model_validate(
            {
                "name": "e1",
                "target": "recommendations",
                "variants": [{"name": "control", "weight": 1}, {"name": "b", "weight": 1}],
            }
        ),
        by="admin",
    )
    record_interaction(deps, user_id="carol", product_id="p1", kind="view")
    recommend(deps, Caller("carol", None), limit=3)
    assert erase_user(deps, "carol") == 2
    assert deps.interactions.history("carol") == []
    assert sum(v.exposures for v in deps.experiments.results("e1").variants) == 0
