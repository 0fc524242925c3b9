"""Autocomplete: prefix completions ranked by popularity, one typo tolerated, past queries included."""

from __future__ import annotations

from shared.search.engine import SearchIndex
from tests.unit.search.conftest import product


def texts(index: SearchIndex, prefix: str) -> list[str]:
    return [s.text for s in index.suggest(prefix)]


def test_completions_come_in_popularity_order(small: SearchIndex) -> None:
    assert texts(small, "ket")[:2] == ["Contoso Electric Kettle", "Northwind Classic Kettle"]  # 80 > 50
    small.upsert(product("k3", "Fabrikam Travel Kettle", brand="Fabrikam", popularity=500))
    assert texts(small, "ket")[0] == "Fabrikam Travel Kettle"
    found = small.suggest("ket")
    exact = [s for s in found if any(w.lower().startswith("ket") for w in s.text.split())]
    assert [s.score for s in exact] == sorted((s.score for s in exact), reverse=True)
    # Typo-tolerant fill ("Kitchen": one edit from "ket") only after every exact completion.
    assert found[: len(exact)] == exact and "Kitchen" in [s.text for s in found[len(exact) :]]


def test_any_word_of_an_entry_completes_and_earlier_words_narrow(small: SearchIndex) -> None:
    assert "Northwind Classic Kettle" in texts(small, "clas")
    assert texts(small, "northwind fry") == ["Northwind Frying Pan"]


def test_one_typo_is_tolerated_after_exact_matches(small: SearchIndex) -> None:
    assert "Tailspin Headlamp" in texts(small, "haedl")  # transposed
    assert "Tailspin" in texts(small, "tialsp")
    assert texts(small, "kettel")[:2] == ["Contoso Electric Kettle", "Northwind Classic Kettle"]
    assert texts(small, "zqxw") == []


def test_brands_categories_and_popular_queries_are_suggested(small: SearchIndex) -> None:
    small.set_query_counts({"kettle descaler": 1000, "tent pegs": 3})
    found = small.suggest("ke")
    assert found[0].text == "kettle descaler" and found[0].kind == "query"
    kinds = {s.text: s.kind for s in small.suggest("out")}
    assert kinds.get("Outdoor") == "category"
    assert {s.kind for s in small.suggest("tails")} >= {"brand", "product"}
    small.set_query_counts({})
    assert all(s.kind != "query" for s in small.suggest("ke"))


def test_a_deleted_product_leaves_the_suggestions(small: SearchIndex) -> None:
    small.delete("t1")
    assert "Tailspin Trail Tent" not in texts(small, "tent")
    assert "Tailspin" in texts(small, "tails")  # the headlamp is still Tailspin's
