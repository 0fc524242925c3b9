from __future__ import annotations

from datetime import UTC, datetime

from shared.catalog.cache import TtlCache
from shared.messaging.events import CloudEvent


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def event(type_: str, subject: str) -> CloudEvent:
    return CloudEvent(
        id="e1", source="smartcommerce.catalog", type=type_, subject=subject, time=datetime.now(UTC)
    )


def test_entries_expire_after_the_ttl() -> None:
    clock = Clock()
    cache = TtlCache(lambda: 5.0, clock)
    cache.put_product("p1", "v1")
    cache.put_list(("q",), "page")
    clock.now = 4.9
    assert cache.get_product("p1") == "v1" and cache.get_list(("q",)) == "page"
    clock.now = 5.0
    assert cache.get_product("p1") is None and cache.get_list(("q",)) is None


def test_product_events_invalidate_the_product_and_every_listing() -> None:
    cache = TtlCache(lambda: 60.0, Clock())
    cache.put_product("p1", "v1")
    cache.put_product("p2", "v2")
    cache.put_list(("q",), "page")
    cache.on_event(event("OrderCreated", "p1"))  # not a product event: nothing dropped
    assert cache.get_product("p1") == "v1"
    cache.on_event(event("PriceUpdated", "p1"))
    assert cache.get_product("p1") is None and cache.get_list(("q",)) is None
    assert cache.get_product("p2") == "v2"


def test_zero_ttl_disables_caching() -> None:
    cache = TtlCache(lambda: 0.0, Clock())
    cache.put_product("p1", "v1")
    assert cache.get_product("p1") is None


def test_a_read_that_raced_an_invalidation_is_not_cached() -> None:
    # Reader takes the generation, reads the (old) document; a write commits and invalidates;
    # the reader's put must be dropped, or the old value would be served for a whole TTL.
    cache = TtlCache(lambda: 60.0, Clock())
    before = cache.generation()
    cache.on_event(event("ProductModified", "p1"))
    cache.put_product("p1", "old", since=before)
    cache.put_list(("q",), "old page", since=before)
    assert cache.get_product("p1") is None and cache.get_list(("q",)) is None
    cache.put_product("p1", "new", since=cache.generation())
    assert cache.get_product("p1") == "new"


def test_put_reports_whether_the_value_was_cached() -> None:
    ttl = [60.0]
    cache = TtlCache(lambda: ttl[0])
    before = cache.generation()
    assert cache.put_product("p1", "v1", since=before) is True
    cache.invalidate("p1")
    assert cache.put_list(("q",), "page", since=before) is False  # stale read: not cached
    ttl[0] = 0
    assert cache.put_product("p2", "v2") is False  # caching off
