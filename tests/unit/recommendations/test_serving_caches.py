"""The serving caches answer exactly what a fresh computation would: a list is reused only while
the catalog snapshot, the model and the user's cached history are the same objects; exposures are
written off the request path but never missed by what reads them on this instance."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.recommendations.experiments import Experiments
from shared.recommendations.interactions import InteractionStore
from shared.recommendations.popularity import PopularityFallback
from shared.recommendations.ports import CatalogItem, CatalogView
from shared.recommendations.schemas import ExperimentCreate
from shared.recommendations.service import Caller, RecsDeps, forget_lists, recommend, record_interaction
from tests.unit.recommendations.builders import GraphScorer, StaticSource, item


class SnapshotCatalog(CatalogView):
    """Like the store-backed view: one snapshot object until something changes."""

    def __init__(self, items: list[CatalogItem]) -> None:
        self.snapshot: dict[str, CatalogItem] = {i.product_id: i for i in items}

    def items(self) -> Mapping[str, CatalogItem]:
        return self.snapshot

    def lookup(self, product_id: str) -> CatalogItem | None:
        return self.snapshot.get(product_id)

    def archive(self, pid: str) -> None:
        self.snapshot = {**self.snapshot, pid: replace(self.snapshot[pid], active=False)}


class CountingScorer(GraphScorer):
    calls: int = 0

    def recommend_from(self, history: Mapping[str, float], k: int, exclude: Collection[str] = ()) -> Any:
        self.calls += 1
        return super().recommend_from(history, k, exclude)

    def popular(self, k: int, category: str | None = None, exclude: Collection[str] = ()) -> Any:
        self.calls += 1
        return super().popular(k, category, exclude)


def _deps(tmp: Path, catalog: CatalogView, scorer: object) -> RecsDeps:
    store = SqliteDocumentStore(tmp / "documents.db")
    interactions = InteractionStore(store, cache_seconds=lambda: 60.0)  # long: the cache must decide
    return RecsDeps(
        catalog=catalog,
        interactions=interactions,
        experiments=Experiments(store, cache_seconds=lambda: 0.0),
        scorers=StaticSource(scorer),
        popularity=PopularityFallback(interactions),
    )


def _setup(tmp: Path) -> tuple[RecsDeps, SnapshotCatalog, CountingScorer]:
    forget_lists()
    catalog = SnapshotCatalog([item(f"p{n}", "tents" if n < 4 else "stoves") for n in range(1, 7)])
    links = {"p1": {"p2": 0.9, "p3": 0.5}, "p4": {"p5": 0.8, "p6": 0.4}}
    scorer = CountingScorer(links, popularity=["p6", "p5", "p4", "p3", "p2", "p1"])
    return _deps(tmp, catalog, scorer), catalog, scorer


def ids(out: Any) -> list[str]:
    return [i.product_id for i in out.items]


def test_a_repeated_question_is_answered_from_the_cache_until_an_input_changes(tmp_path: Path) -> None:
    deps, catalog, scorer = _setup(tmp_path)
    alice = Caller("alice", None)
    record_interaction(deps, user_id="alice", product_id="p1", kind="click")
    first = recommend(deps, alice, limit=2)
    assert ids(first) == ["p2", "p3"] and scorer.calls == 1
    assert ids(recommend(deps, alice, limit=2)) == ["p2", "p3"] and scorer.calls == 1  # cached
    # Her own new interaction replaces her cached history: the very next answer changes.
    record_interaction(deps, user_id="alice", product_id="p4", kind="add_to_cart")
    assert ids(recommend(deps, alice, limit=2)) == ["p5", "p2"] and scorer.calls == 2
    # A new catalog snapshot (an archived product) recomputes.
    catalog.archive("p5")
    assert ids(recommend(deps, alice, limit=2)) == ["p2", "p6"] and scorer.calls == 3
    # Another limit is another question.
    assert len(recommend(deps, alice, limit=1).items) == 1 and scorer.calls == 4


def test_the_popular_list_is_shared_by_anonymous_callers_but_not_with_a_buyer(tmp_path: Path) -> None:
    deps, _, scorer = _setup(tmp_path)
    anon = [recommend(deps, Caller(None, f"client-{n}"), limit=3) for n in range(5)]
    assert all(ids(out) == ["p6", "p5", "p4"] for out in anon) and scorer.calls == 1
    # A buyer of p6 who has no other signal: the popular list without what they bought.
    record_interaction(deps, user_id="bob", product_id="p6", kind="purchase")
    bob = recommend(deps, Caller("bob", None), limit=3)
    assert "p6" not in ids(bob)


def test_exposures_are_written_off_the_request_path_and_counted(tmp_path: Path) -> None:
    deps, _, _ = _setup(tmp_path)
    experiment = ExperimentCreate.model_validate(
        {
            "name": "cache-exp",
            "target": "recommendations",
            "variants": [{"name": "control", "weight": 1}, {"name": "other", "weight": 1}],
        }
    )
    deps.experiments.create(experiment, by="admin")
    users = [f"user-{n}" for n in range(20)]
    for user in users:
        record_interaction(deps, user_id=user, product_id="p1", kind="view")
        assert recommend(deps, Caller(user, None), limit=2).variant in ("control", "other")
        recommend(deps, Caller(user, None), limit=2)  # repeat: one unit each
    # A click right after the first exposure converts (the queued exposure is flushed first).
    record_interaction(deps, user_id=users[0], product_id="p2", kind="click")
    result = deps.experiments.results("cache-exp")
    assert sum(v.exposures for v in result.variants) == 20
    assert sum(v.conversions for v in result.variants) == 1
