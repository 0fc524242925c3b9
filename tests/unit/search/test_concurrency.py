"""The engine under concurrent searches (docs/search.md, "Search under concurrent load"): a repeated
plain search is answered without the index lock and still follows every write; an unchanged
document moves no generation; concurrent first searches of one text embed it once."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from shared.search.engine import SearchIndex, SearchRequest
from shared.search.engine.types import Preference
from tests.unit.search.conftest import CountingEncoder


def _search_while_locked(
    index: SearchIndex, request: SearchRequest, wait: float = 5.0, timeout: float = 10.0
) -> bool:
    """True if the search answered while another thread held the index lock."""
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with index.lock:
            held.set()
            release.wait(timeout)

    t = threading.Thread(target=holder)
    t.start()
    held.wait(timeout)
    answered = threading.Event()

    def search() -> None:
        index.search(request)
        answered.set()

    searcher = threading.Thread(target=search, daemon=True)
    searcher.start()
    ok = answered.wait(wait)
    release.set()
    t.join()
    searcher.join(timeout)
    return ok


def test_a_repeated_plain_search_needs_no_lock_and_follows_writes(small: SearchIndex) -> None:
    request = SearchRequest("kettle", limit=10)
    first = small.search(request)
    assert _search_while_locked(small, request)  # answered from the result cache
    assert small.search(request) is first
    kettle = small.get("k1")
    assert kettle is not None
    small.upsert(replace(kettle))  # the same document again (a stock event with no flip)
    assert small.search(request) is first
    small.upsert(replace(kettle, price="99.00"))  # a write: the next search sees it
    priced = small.search(request)
    assert {h.product_id: h.price for h in priced.items}["k1"] == 99
    small.upsert(replace(kettle, price="99.00", in_stock=False))
    assert "k1" not in [h.product_id for h in small.search(replace(request, in_stock_only=True)).items]
    assert not {h.product_id: h.in_stock for h in small.search(request).items}["k1"]
    small.upsert(replace(kettle, price="99.00", status="archived"))
    assert "k1" not in [h.product_id for h in small.search(request).items]
    small.delete("k2")
    assert "k2" not in [h.product_id for h in small.search(request).items]


def test_a_personalized_search_is_not_cached(small: SearchIndex) -> None:
    plain = SearchRequest("kettle", limit=10)
    mine = replace(plain, preference=Preference(brand_weights={"brand-contoso": 1.0}))
    small.search(plain)
    before = len(small.result_cache)
    small.search(mine)
    assert len(small.result_cache) == before
    assert not _search_while_locked(small, mine, wait=0.5)  # computed under the lock, each time


class SlowCounting(CountingEncoder):
    """Slow enough that concurrent first searches of a text overlap."""

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        time.sleep(0.2)
        return super().encode(texts)


def test_concurrent_first_searches_of_a_text_embed_it_once(
    small: SearchIndex, counting: CountingEncoder
) -> None:
    slow = SlowCounting(counting.inner)
    small.encoder = slow
    start = threading.Barrier(8)
    results: list[np.ndarray | None] = []

    def first_search() -> None:
        start.wait()
        results.append(small.embed_query("Something to boil water  on a camping trip"))

    threads = [threading.Thread(target=first_search) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert slow.texts == ["something to boil water on a camping trip"]
    first = results[0]
    assert len(results) == 8 and first is not None
    assert all(r is not None and np.array_equal(r, first) for r in results)
