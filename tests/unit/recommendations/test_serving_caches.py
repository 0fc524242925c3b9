"""The serving caches answer exactly what a fresh computation would: a list is reused only while
the catalog snapshot, the model and the user's cached history are the same objects; exposures are
written off the request path but never missed by what reads them on this instance."""

from __future__ import annotations

import time
from collections.abc import Collection, Mapping
from contextlib import suppress
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.kernel.frozen import frozen_json
from shared.ports.documents import DocumentNotFound, Query
from shared.recommendations import experiments as experiments_module
from shared.recommendations import interactions as interactions_module
from shared.recommendations.experiments import Assignment, Experiments
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

    def ask(limit: int = 2) -> list[str]:
        """Twice: a question is remembered the second time it is asked with the same inputs."""
        first = ids(recommend(deps, alice, limit=limit))
        assert ids(recommend(deps, alice, limit=limit)) == first
        return first

    record_interaction(deps, user_id="alice", product_id="p1", kind="click")
    assert ask() == ["p2", "p3"] and scorer.calls == 2
    assert ids(recommend(deps, alice, limit=2)) == ["p2", "p3"] and scorer.calls == 2  # cached
    # Her own new interaction replaces her cached history: the very next answer changes.
    record_interaction(deps, user_id="alice", product_id="p4", kind="add_to_cart")
    assert ids(recommend(deps, alice, limit=2)) == ["p5", "p2"] and scorer.calls == 3
    assert ids(recommend(deps, alice, limit=2)) == ["p5", "p2"] and scorer.calls == 4
    assert ids(recommend(deps, alice, limit=2)) == ["p5", "p2"] and scorer.calls == 4  # cached
    # A new catalog snapshot (an archived product) recomputes.
    catalog.archive("p5")
    assert ids(recommend(deps, alice, limit=2)) == ["p2", "p6"] and scorer.calls == 5
    # Another limit is another question.
    assert len(recommend(deps, alice, limit=1).items) == 1 and scorer.calls == 6


def test_a_one_off_question_leaves_only_a_marker(tmp_path: Path) -> None:
    deps, _, _ = _setup(tmp_path)
    record_interaction(deps, user_id="once", product_id="p1", kind="click")
    first = recommend(deps, Caller("once", None), limit=2)
    assert frozen_json(first) is None  # not remembered: nothing for the collector to keep walking
    second = recommend(deps, Caller("once", None), limit=2)
    assert frozen_json(second) is not None and recommend(deps, Caller("once", None), limit=2) is second


def test_the_popular_list_is_shared_by_anonymous_callers_but_not_with_a_buyer(tmp_path: Path) -> None:
    deps, _, scorer = _setup(tmp_path)
    anon = [recommend(deps, Caller(None, f"client-{n}"), limit=3) for n in range(5)]
    # Remembered the first time: the same answer for every caller without purchases.
    assert all(ids(out) == ["p6", "p5", "p4"] for out in anon) and scorer.calls == 1
    assert all(out is anon[0] for out in anon) and frozen_json(anon[0]) is not None
    # A buyer of p6 who has no other signal: the popular list without what they bought.
    record_interaction(deps, user_id="bob", product_id="p6", kind="purchase")
    bob = recommend(deps, Caller("bob", None), limit=3)
    assert "p6" not in ids(bob)


def test_a_product_page_is_remembered_the_first_time_until_the_snapshot_changes(tmp_path: Path) -> None:
    deps, catalog, scorer = _setup(tmp_path)
    similar = 0
    real = scorer.similar_to

    def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal similar
        similar += 1
        return real(*args, **kwargs)

    scorer.similar_to = counting  # type: ignore[method-assign]
    first = recommend(deps, Caller(None, None), product_id="p1", limit=2)
    assert ids(first) == ["p2", "p3"] and similar == 1 and frozen_json(first) is not None
    assert recommend(deps, Caller(None, "someone"), product_id="p1", limit=2) is first and similar == 1
    # A buyer's page excludes what they bought: theirs alone, so only a marker the first time.
    record_interaction(deps, user_id="carol", product_id="p2", kind="purchase")
    carol = recommend(deps, Caller("carol", None), product_id="p1", limit=2)
    assert "p2" not in ids(carol) and frozen_json(carol) is None and similar == 2
    # A new snapshot (p3 archived) is a new answer, remembered again at once.
    catalog.archive("p3")
    after = recommend(deps, Caller(None, None), product_id="p1", limit=2)
    assert "p3" not in ids(after) and after is not first and similar == 3
    assert recommend(deps, Caller(None, None), product_id="p1", limit=2) is after and similar == 3


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


def test_the_idle_exposure_writer_leaves_and_a_later_exposure_starts_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(experiments_module, "WRITER_IDLE_SECONDS", 0.05)
    experiments = Experiments(SqliteDocumentStore(tmp_path / "documents.db"), cache_seconds=lambda: 0.0)
    experiments.record_exposure(Assignment("exp", "control", {}), "u1")
    first = experiments._writer
    assert first is not None
    first.join(timeout=10)
    assert not first.is_alive() and experiments._writer is None
    assert experiments.units.read("u1", "exp")["variant"] == "control"  # written before it left
    experiments.record_exposure(Assignment("exp", "other", {}), "u2")
    wait_until = time.monotonic() + 10
    while time.monotonic() < wait_until:
        with suppress(DocumentNotFound):
            assert experiments.units.read("u2", "exp")["variant"] == "other"
            break
        time.sleep(0.01)
    else:
        raise AssertionError("the second exposure was never written")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _other_instance_writes(store: SqliteDocumentStore, user: str, product: str, n: int) -> None:
    """A write through another instance: this process's cache is not told."""
    doc = {"id": f"other-{n}", "userId": user, "productId": product, "type": "click", "source": "api"}
    doc["at"] = f"2026-12-0{n}T00:00:00.000000Z"
    InteractionStore(store, cache_seconds=lambda: 0.0).container.create(doc)


def test_an_unchanged_history_keeps_its_object_and_a_change_elsewhere_shows_within_the_cache_time(
    tmp_path: Path,
) -> None:
    store = SqliteDocumentStore(tmp_path / "documents.db")
    clock = Clock()
    history = InteractionStore(store, cache_seconds=lambda: 1.0, clock=clock)
    _other_instance_writes(store, "ann", "p1", 1)
    first = history.history("ann")
    clock.now += 1.0  # expired (an entry never lives longer than the cache time): read again...
    assert history.history("ann") is first  # ...unchanged: the very same object
    _other_instance_writes(store, "ann", "p2", 2)
    clock.now += 1.0
    changed = history.history("ann")
    assert changed is not first and [i.product_id for i in changed] == ["p2", "p1"]
    # Kept at most KEEP_SECONDS: the derived weights' decay is recomputed now and then.
    clock.now += interactions_module.KEEP_SECONDS + 1.0
    again = history.history("ann")
    assert again == changed and again is not changed


def test_histories_read_together_do_not_all_expire_together(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "documents.db")
    clock = Clock()
    history = InteractionStore(store, cache_seconds=lambda: 1.0, clock=clock)
    queries = 0
    container = history.container
    real_query = container.query

    def counting_query(*args: Any, **kwargs: Any) -> Any:
        nonlocal queries
        queries += 1
        return real_query(*args, **kwargs)

    container.query = counting_query  # type: ignore[method-assign]
    users = [f"u{n}" for n in range(200)]
    for user in users:
        history.history(user)
    assert queries == 200
    clock.now += 0.75  # spread over 50-100 % of the cache time: about half expired by now
    for user in users:
        history.history(user)
    second = queries - 200
    assert 40 < second < 160
    clock.now += 0.25  # and every entry of the first pass by the cache time
    for user in users:
        history.history(user)
    assert queries - 200 - second == 200 - second


def test_a_re_read_unchanged_history_serves_the_remembered_frozen_response(tmp_path: Path) -> None:
    deps, _, scorer = _setup(tmp_path)
    clock = Clock()
    deps.interactions = InteractionStore(deps.interactions.store, cache_seconds=lambda: 1.0, clock=clock)
    record_interaction(deps, user_id="alice", product_id="p1", kind="click")
    recommend(deps, Caller("alice", None), limit=2)
    first = recommend(deps, Caller("alice", None), limit=2)
    assert frozen_json(first) == first.model_dump_json(by_alias=True).encode()  # sent as these bytes
    clock.now += 5.0  # the history was read again and found unchanged: nothing recomputed
    assert recommend(deps, Caller("alice", None), limit=2) is first and scorer.calls == 2
    record_interaction(deps, user_id="alice", product_id="p4", kind="add_to_cart")
    assert ids(recommend(deps, Caller("alice", None), limit=2)) == ["p5", "p2"] and scorer.calls == 3


def test_queued_exposures_are_written_in_batches_and_one_seen_before_does_not_lose_the_rest(
    tmp_path: Path,
) -> None:
    experiments = Experiments(
        SqliteDocumentStore(tmp_path / "documents.db"), cache_seconds=lambda: 0.0, background_exposures=False
    )
    experiments.units.create({"id": "u7", "experiment": "exp", "variant": "control", "exposedAt": "x"})
    experiments._background = True  # queue without a writer thread: flush by hand below
    experiments._ensure_writer = lambda: None  # type: ignore[method-assign]
    for n in range(250):
        experiments.record_exposure(Assignment("exp", "control", {}), f"u{n}")
    assert experiments.flush() == 249  # u7 existed: its batch is written one by one
    assert len(experiments.units.query_all(Query(), partition_key="exp")) == 250


def test_exposures_still_queued_at_exit_are_written(tmp_path: Path) -> None:
    experiments = Experiments(SqliteDocumentStore(tmp_path / "documents.db"), cache_seconds=lambda: 0.0)
    experiments._ensure_writer = lambda: None  # type: ignore[method-assign]  # no writer got to it
    experiments.record_exposure(Assignment("exp", "other", {}), "late")
    experiments_module._flush_all()  # what atexit runs after a graceful shutdown
    assert experiments.units.read("late", "exp")["variant"] == "other"


def test_a_reason_is_phrased_once_per_snapshot_and_a_renamed_product_shows_its_new_name(
    tmp_path: Path,
) -> None:
    deps, catalog, _ = _setup(tmp_path)
    record_interaction(deps, user_id="rita", product_id="p1", kind="click")
    first = recommend(deps, Caller("rita", None), limit=2)
    assert [i.reason for i in first.items] == ["similar to Product p1"] * 2
    # A new snapshot in which p1 has another name: the phrase follows it (phrases are per snapshot).
    catalog.snapshot = {**catalog.snapshot, "p1": replace(catalog.snapshot["p1"], name="Blue tent")}
    again = recommend(deps, Caller("rita", None), limit=2)
    assert [i.reason for i in again.items] == ["similar to Blue tent"] * 2
