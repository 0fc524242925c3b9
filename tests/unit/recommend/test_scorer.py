"""RecsScorer: cold start, exclusions, reasons, fold-in without retraining, popularity per category."""

from __future__ import annotations

import pytest

from models.recommend import Reason, RecsScorer


@pytest.fixture(scope="module")
def scorer(artifact: bytes) -> RecsScorer:
    return RecsScorer(artifact)


def test_cold_start_user_gets_popular_items(scorer: RecsScorer) -> None:
    recs = scorer.recommend_from({}, k=5)
    assert [r.item_id for r in recs] == [r.item_id for r in scorer.popular(5)]
    assert all(r.reason.kind == "popular" for r in recs)
    # History made only of ids the model never saw is a cold start too.
    assert [r.item_id for r in scorer.recommend_from({"unknown": 1.0}, k=5)] == [r.item_id for r in recs]


def test_history_drives_recommendations_into_its_category(scorer: RecsScorer) -> None:
    recs = scorer.recommend_from({"p100": 1.0, "p101": 1.0, "p102": 1.0}, k=5)
    assert len(recs) == 5
    assert all(scorer.category_of(r.item_id) == "garden" for r in recs)
    assert recs[0].reason.kind in ("also_bought", "similar_to")
    assert recs[0].reason.item_id in {"p100", "p101", "p102"}


def test_excluded_and_seen_items_never_appear(scorer: RecsScorer) -> None:
    history = {"p100": 1.0, "p101": 2.0}
    full = scorer.recommend_from(history, k=scorer.n_items)
    banned = {r.item_id for r in full[:4]} | {"not-in-model"}
    recs = scorer.recommend_from(history, k=scorer.n_items, exclude=banned)
    shown = {r.item_id for r in recs}
    assert not shown & banned and not shown & set(history)
    assert len(recs) == scorer.n_items - len(history) - 4
    assert not {r.item_id for r in scorer.popular(scorer.n_items, exclude=banned)} & banned
    assert not {r.item_id for r in scorer.similar_to("p100", 50, exclude=banned)} & banned
    # A cold-start user's popular list honours the exclusions too.
    assert not {r.item_id for r in scorer.recommend_from({}, k=10, exclude=banned)} & banned


def test_a_new_interaction_changes_the_next_answer_without_retraining(scorer: RecsScorer) -> None:
    before = [r.item_id for r in scorer.recommend_from({"p000": 1.0}, k=5)]
    after = scorer.recommend_from({"p000": 1.0, "p200": 3.0, "p201": 3.0}, k=5)
    assert [r.item_id for r in after] != before
    assert any(scorer.category_of(r.item_id) == "kitchen" for r in after)


def test_similar_to_a_product(scorer: RecsScorer) -> None:
    recs = scorer.similar_to("p205", k=5)
    assert "p205" not in {r.item_id for r in recs}
    assert all(scorer.category_of(r.item_id) == "kitchen" for r in recs)
    assert recs[0].reason == Reason("also_bought", item_id="p205")


def test_a_product_nobody_bought_is_reached_through_its_text(scorer: RecsScorer) -> None:
    recs = scorer.similar_to("new-garden", k=3)
    assert recs and all(r.reason.kind == "similar_to" for r in recs)
    assert all(scorer.category_of(r.item_id) == "garden" for r in recs)
    assert "new-garden" in {r.item_id for r in scorer.similar_to("p100", k=scorer.n_items)}


def test_popular_in_a_category(scorer: RecsScorer) -> None:
    recs = scorer.popular(4, category="books")
    assert len(recs) == 4 and all(scorer.category_of(r.item_id) == "books" for r in recs)
    assert all(r.reason == Reason("popular_in", category="books") for r in recs)
    assert [r.score for r in recs] == sorted((r.score for r in recs), reverse=True)
    assert scorer.popular(3, category="no-such-category") == []


def test_reason_texts() -> None:
    assert Reason("similar_to", item_id="p1").text({"p1": "Garden hose"}) == "similar to Garden hose"
    assert Reason("popular_in", category="garden").text() == "popular in garden"
    assert Reason("also_bought", item_id="p1").text() == "customers also bought"
    assert Reason("popular").text() == "popular"


def test_string_ids_from_http_match_int_ids() -> None:
    import pandas as pd

    from models.recommend.training import train_artifact

    frame = pd.DataFrame({"user_id": [1, 1, 2, 2, 3], "item_id": [10, 11, 10, 11, 12]})
    scorer = RecsScorer(train_artifact(frame)[0])
    assert [r.item_id for r in scorer.similar_to("10", k=1)] == [11]
    assert scorer.index_of(10) == scorer.index_of("10")


def test_not_an_artifact_is_refused() -> None:
    from models.recommend.graph import RecsModel  # noqa: F401 - the format lives there

    with pytest.raises(Exception):  # noqa: B017 - onnx's own decode error or our ValueError
        RecsScorer(b"not an onnx model")
