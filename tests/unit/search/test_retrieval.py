"""Keyword, semantic and hybrid retrieval on the demo shop: typos, filters, facets, paging."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import pytest

from bench.search_catalog import demo_documents
from shared.search.engine import InvalidPageToken, SearchIndex, SearchRequest, decode_token, encode_token
from shared.search.engine.types import Mode

QUERIES = json.loads((Path(__file__).resolve().parents[3] / "bench/data/search_queries.json").read_text())
MISSPELLED = [q for q in QUERIES["queries"] if q["type"] == "misspelled"]


@pytest.mark.parametrize("mode", ["keyword", "hybrid"])
def test_a_misspelled_name_still_finds_its_product(demo_index: SearchIndex, mode: Mode) -> None:
    found = 0
    for q in MISSPELLED:
        wanted = {p for p, g in q["labels"].items() if g == 3}
        top = {h.product_id for h in demo_index.search(SearchRequest(q["query"], mode=mode, limit=10)).items}
        found += bool(wanted & top)
    assert found == len(MISSPELLED)


def test_one_edit_alone_is_enough_in_keyword_mode(demo_index: SearchIndex) -> None:
    # Only the misspelled word: nothing else in the query can match instead.
    for typo, word in (("ketle", "Kettle"), ("hoodei", "Hoodie"), ("smartwach", "Smartwatch")):
        items = demo_index.search(SearchRequest(typo, mode="keyword", limit=5)).items
        assert items and all(word in h.name for h in items), (typo, [h.name for h in items])


def test_field_boosts_put_a_name_match_above_a_description_match(demo_index: SearchIndex) -> None:
    # "steel" is in every steel product's description and attributes, but in no name; "kettle" in names.
    items = demo_index.search(SearchRequest("steel kettle", mode="keyword", limit=5)).items
    assert all("Kettle" in h.name for h in items)


@pytest.mark.parametrize("mode", ["keyword", "semantic", "hybrid"])
@pytest.mark.parametrize("query", ["kettle", "something for camping in the rain", "northwind", ""])
def test_facets_sum_to_total(demo_index: SearchIndex, mode: str, query: str) -> None:
    result = demo_index.search(SearchRequest(query, mode=mode, limit=5))  # type: ignore[arg-type]
    assert result.total > 0
    for facet in (result.facets.category, result.facets.brand, result.facets.price):
        assert sum(f.count for f in facet) == result.total


def test_filters_keep_only_matching_products(demo_index: SearchIndex) -> None:
    docs = demo_documents()
    request = SearchRequest(
        "",
        category_ids=["cat-outdoor"],
        brand_ids=["brand-03", "brand-04"],
        min_price="20",
        max_price="200",
        limit=100,
    )
    result = demo_index.search(request)
    expected = {
        d.product_id
        for d in docs
        if d.category_id == "cat-outdoor"
        and d.brand_id in ("brand-03", "brand-04")
        and Decimal("20") <= Decimal(str(d.price)) <= Decimal("200")
    }
    assert expected and {h.product_id for h in result.items} == expected and result.total == len(expected)
    stocked = demo_index.search(SearchRequest("", in_stock_only=True, limit=100))
    assert stocked.total == sum(d.in_stock for d in docs) and all(h.in_stock for h in stocked.items)


def test_filters_apply_to_semantic_matches_too(demo_index: SearchIndex) -> None:
    result = demo_index.search(
        SearchRequest(
            "a jacket for the rain", mode="semantic", category_ids=["cat-apparel"], max_price="100", limit=50
        )
    )
    assert result.total > 0
    assert all(h.category_id == "cat-apparel" and h.price <= 100 for h in result.items)


def test_pages_cover_the_result_once_in_a_stable_order(demo_index: SearchIndex) -> None:
    request = SearchRequest("jacket", limit=7)
    first = demo_index.search(request)
    seen, offset = [], 0
    while True:
        page = demo_index.search(SearchRequest("jacket", limit=7, offset=offset))
        seen += [h.product_id for h in page.items]
        if page.next_offset is None:
            break
        offset = decode_token(encode_token(request, page.next_offset), request)
    assert len(seen) == len(set(seen)) == first.total
    assert [h.product_id for h in demo_index.search(request).items] == seen[:7]


def test_a_token_from_another_query_is_refused() -> None:
    token = encode_token(SearchRequest("kettle"), 20)
    with pytest.raises(InvalidPageToken):
        decode_token(token, SearchRequest("tent"))
    with pytest.raises(InvalidPageToken):
        decode_token("not-a-token", SearchRequest("kettle"))


def test_sorting_by_price(demo_index: SearchIndex) -> None:
    items = demo_index.search(SearchRequest("jacket", sort="price_asc", limit=50)).items
    prices = [h.price for h in items]
    assert prices == sorted(prices) and len(prices) > 3


def test_bad_arguments_are_value_errors(demo_index: SearchIndex) -> None:
    for bad in (
        SearchRequest("x", limit=0),
        SearchRequest("x", offset=-1),
        SearchRequest("x", min_price="abc"),
        SearchRequest("x", min_price="9", max_price="1"),
    ):
        with pytest.raises(ValueError):
            demo_index.search(bad)


def test_semantic_finds_what_keywords_cannot(demo_index: SearchIndex) -> None:
    assert demo_index.search(SearchRequest("headphones", mode="keyword")).total == 0
    items = demo_index.search(SearchRequest("headphones", mode="hybrid", limit=3)).items
    assert items and all("Earbuds" in h.name for h in items)


def test_did_you_mean_offers_a_correction_that_has_results(demo_index: SearchIndex) -> None:
    # Two edits in a long word: beyond the fuzzy match, so keyword search finds nothing.
    result = demo_index.search(SearchRequest("ergonommik", mode="keyword"))
    assert result.total == 0 and result.did_you_mean == "ergonomic"
    assert demo_index.search(SearchRequest(result.did_you_mean, mode="keyword")).total > 0
    assert demo_index.search(SearchRequest("xqzvbnw", mode="keyword")).did_you_mean is None
    assert demo_index.search(SearchRequest("kettle", mode="keyword")).did_you_mean is None
