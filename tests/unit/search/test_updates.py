"""Catalog events applied one document at a time: visible to the next search, archived never shown."""

from __future__ import annotations

from dataclasses import replace

import pytest

from shared.search.engine import Preference, SearchIndex, SearchRequest
from tests.unit.search.conftest import CountingEncoder, product

MODES = ("keyword", "semantic", "hybrid")


def ids(index: SearchIndex, query: str, mode: str = "hybrid", **kw: object) -> list[str]:
    request = SearchRequest(query, mode=mode, limit=50, **kw)  # type: ignore[arg-type]
    return [h.product_id for h in index.search(request).items]


def test_created_updated_and_deleted_products_are_visible_at_once(small: SearchIndex) -> None:
    small.upsert(product("c1", "Fabrikam Coffee Grinder", brand="Fabrikam"))
    assert "c1" in ids(small, "coffee grinder", "keyword") and "c1" in ids(small, "grinder", "semantic")
    small.upsert(product("c1", "Fabrikam Espresso Machine", brand="Fabrikam"))
    assert "c1" not in ids(small, "grinder", "keyword") and "c1" in ids(small, "espresso", "keyword")
    assert small.delete("c1") and not small.delete("c1")
    assert all("c1" not in ids(small, "espresso", m) for m in MODES)


def test_an_archived_product_never_appears(small: SearchIndex) -> None:
    kettle = small.get("k1")
    assert kettle is not None
    small.upsert(replace(kettle, status="archived"))
    for mode in MODES:
        result = small.search(SearchRequest("kettle", mode=mode))  # type: ignore[arg-type]
        assert "k1" not in [h.product_id for h in result.items]
        assert sum(f.count for f in result.facets.brand) == result.total
    assert "k1" not in ids(small, "")  # browsing either
    assert all(s.text != "Northwind Classic Kettle" for s in small.suggest("northwind cl"))
    small.upsert(kettle)  # un-archived
    assert "k1" in ids(small, "kettle", "keyword")


def test_price_and_stock_changes_move_the_product_between_filters(small: SearchIndex) -> None:
    kettle = small.get("k1")
    assert kettle is not None
    assert "k1" in ids(small, "kettle", max_price="25")
    small.upsert(replace(kettle, price="99.00"))
    assert "k1" not in ids(small, "kettle", max_price="25") and "k1" in ids(small, "kettle", min_price="90")
    small.upsert(replace(kettle, price="99.00", in_stock=False))
    assert "k1" not in ids(small, "kettle", in_stock_only=True) and "k1" in ids(small, "kettle")
    small.upsert(replace(kettle, price="99.00", in_stock=True))
    assert "k1" in ids(small, "kettle", in_stock_only=True)


def test_only_changed_text_is_embedded(small: SearchIndex, counting: CountingEncoder) -> None:
    kettle = small.get("k1")
    assert kettle is not None
    counting.texts.clear()
    small.upsert(replace(kettle, price="12.00", in_stock=False, popularity=999, description="new words"))
    assert counting.texts == []
    small.upsert(replace(kettle, name="Northwind Whistling Kettle"))
    assert counting.texts == ["Northwind Whistling Kettle. Kitchen"]


def test_personalization_reorders_only_when_asked(small: SearchIndex) -> None:
    plain = ids(small, "northwind", "keyword")
    assert plain == ids(small, "northwind", "keyword")  # deterministic
    outdoorsy = Preference(category_weights={"cat-outdoor": 1.0}, weight=2.0)
    query = "classic kettle tent"
    base = ids(small, query, "keyword")
    tuned = ids(small, query, "keyword", preference=outdoorsy)
    assert sorted(base) == sorted(tuned)
    assert base[0] == "k1" and tuned[0] == "t1"
    vec = small.vector("t1")
    assert vec is not None
    by_vector = ids(small, "kettle tent", "keyword", preference=Preference(vector=vec, weight=2.0))
    assert by_vector[0] == "t1"
    scored = ids(
        small,
        "kettle",
        "keyword",
        preference=Preference(item_scorer=lambda p: [1.0 if x == "k2" else -1.0 for x in p], weight=2.0),
    )
    assert scored[0] == "k2"


def test_the_semantic_cache_answers_like_a_fresh_scan_and_follows_writes(small: SearchIndex) -> None:
    from shared.search.engine import SearchRequest
    from shared.search.engine.query import SEMANTIC_CACHE_K

    def ids(q: str, **kw: object) -> list[str]:
        return [h.product_id for h in small.search(SearchRequest(q, mode="semantic", **kw)).items]  # type: ignore[arg-type]

    first = ids("something to boil water")
    assert ids("something to boil water") == first  # from the cache
    small.semantic_cache.clear()
    assert ids("something to boil water") == first  # and from a fresh scan
    everything = ids("tent and headlamp for camping")
    outdoor = ids("tent and headlamp for camping", category_ids=["cat-outdoor"])  # filters after the cache
    assert outdoor and all(small.get(p).category == "Outdoor" for p in outdoor)  # type: ignore[union-attr]
    assert outdoor == [p for p in everything if p in outdoor]
    small.upsert(product("k9", "Lamna Travel Kettle", brand="Lamna"))  # a new vector: cache stale
    assert "k9" in ids("something to boil water")
    small.delete("k9")
    assert "k9" not in ids("something to boil water")
    assert small.options.semantic_k <= SEMANTIC_CACHE_K


def test_the_keyword_cache_answers_like_tantivy_and_follows_writes(small: SearchIndex) -> None:
    calls: list[str] = []
    search = small.keyword.search

    def counted(text: str, *args: object, **kw: object) -> object:
        calls.append(text)
        return search(text, *args, **kw)  # type: ignore[arg-type]

    small.keyword.search = counted  # type: ignore[method-assign,assignment]
    first = ids(small, "kettle", "keyword")
    assert ids(small, "Kettle ", "keyword") == first and calls == ["kettle"]  # the same query: cached
    assert ids(small, "kettle", "keyword", brand_ids=["brand-contoso"]) == ["k2"]  # filters: in the key
    assert len(calls) == 2
    kettle = small.get("k1")
    assert kettle is not None
    small.upsert(replace(kettle, in_stock=False, popularity=1))  # columns only: the cache stays valid
    assert ids(small, "kettle", "keyword", in_stock_only=True) == ["k2"] and len(calls) == 2
    small.upsert(replace(kettle, name="Northwind Classic Teapot", description="A teapot."))  # text: stale
    assert ids(small, "kettle", "keyword") == ["k2"] and len(calls) == 3
    assert "k1" in ids(small, "teapot", "keyword")
    small.keyword_cache.clear()
    assert ids(small, "kettle", "keyword") == ["k2"]  # a fresh search agrees
    assert small.did_you_mean("teapto") == small.did_you_mean("teapto") == "teapot"


def test_filtered_semantic_matches_follow_stock_and_price_writes(
    small: SearchIndex, monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.search.engine import query

    monkeypatch.setattr(query, "SEMANTIC_CACHE_K", 2)  # the cached best are too few for a filter
    scans: list[int] = []
    scores = small.vectors.scores

    def counted(*args: object) -> object:
        scans.append(1)
        return scores(*args)  # type: ignore[arg-type]

    small.vectors.scores = counted  # type: ignore[method-assign,assignment]
    first = ids(small, "kitchen things", "semantic", in_stock_only=True, max_price="40")
    assert {"k1", "p1"} <= set(first) and scans  # the filtered full scan
    before = len(scans)
    assert ids(small, "kitchen things", "semantic", in_stock_only=True, max_price="40") == first
    assert len(scans) == before  # cached with its filters
    kettle = small.get("k1")
    assert kettle is not None
    small.upsert(replace(kettle, in_stock=False))  # a column write: the cached answer is stale
    assert "k1" not in ids(small, "kitchen things", "semantic", in_stock_only=True, max_price="40")
    small.upsert(replace(kettle, in_stock=True, price="99.00"))
    assert "k1" not in ids(small, "kitchen things", "semantic", in_stock_only=True, max_price="40")
    assert "k1" in ids(small, "kitchen things", "semantic", in_stock_only=True, min_price="90")
