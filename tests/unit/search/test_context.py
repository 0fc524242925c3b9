"""The search context end to end in process: catalog and inventory events keep the index current,
search / suggest / clicks / analytics / personalization, and the index lifecycle (rebuild swap,
snapshots, corrupt snapshot). Real SQLite store, folder blobs, outbox relay, int8 MiniLM."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from shared.adapters.folder_blobs import FolderBlobStore
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.catalog.cache import cache
from shared.kernel.errors import NotFound, ValidationFailed
from shared.search import service
from shared.search.embedded import EmbeddedSearch
from shared.search.schemas import ClickIn
from shared.search.snapshots import PREFIX, SnapshotStore
from shared.settings import reset_settings_cache
from tests.unit.search.conftest import CountingEncoder
from tests.unit.search.context_support import Shop, make_shop


@pytest.fixture
def store(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[SqliteDocumentStore]:
    monkeypatch.setenv("SC_DATA_DIR", str(tmp_path))
    reset_settings_cache()
    cache.clear()
    yield SqliteDocumentStore(tmp_path / "documents.db")
    service.reset()
    cache.clear()
    reset_settings_cache()


@pytest.fixture
def blobs(tmp_path: Path) -> FolderBlobStore:
    return FolderBlobStore(tmp_path / "blobs")


@pytest.fixture
def shop(store: SqliteDocumentStore, blobs: FolderBlobStore, counting: CountingEncoder) -> Shop:
    s = make_shop(store, blobs, counting)
    s.add("Northwind Stainless Kettle", sku="KETTLE-1", price="35.00")
    s.add("Contoso Electric Kettle", brand="Contoso", sku="KETTLE-2", price="45.00")
    s.add("Northwind Cast Iron Frying Pan", sku="PAN-1", price="60.00")
    s.add("Tailspin Trail Tent", category="Outdoor", brand="Tailspin", sku="TENT-1", price="220.00")
    s.add("Tailspin Headlamp", category="Outdoor", brand="Tailspin", sku="LAMP-1", price="25.00")
    service.warm()  # the index loads now, so what follows reaches it through events only
    s.deliver()
    return s


# --- kept current from events ----------------------------------------------------------------


def test_an_archived_product_disappears_after_its_event(shop: Shop) -> None:
    tent = shop.ids("trail tent")[0]
    shop.archive(tent)
    assert tent in shop.ids("trail tent")  # the index moves on the event, not before
    assert shop.deliver() == [tent]
    for mode in ("keyword", "semantic", "hybrid"):
        assert tent not in shop.ids("trail tent", mode=mode)
        assert tent not in shop.ids("tailspin", mode=mode)
    assert all(s.text != "Tailspin Trail Tent" for s in service.suggest("tailspin t", 8).suggestions)


def test_a_misspelled_name_still_finds_the_product(shop: Shop) -> None:
    kettle = shop.ids("Northwind Stainless Kettle")[0]
    for typo in ("Stainles Kettle", "stainless kettel", "Northwnd Stainless"):
        assert shop.ids(typo, mode="keyword")[0] == kettle, typo  # fuzzy terms: first
        assert kettle in shop.ids(typo)[:2], typo  # hybrid: the other kettle may share the top


def test_created_product_and_price_change_are_searchable_after_their_events(shop: Shop) -> None:
    new = shop.add("Fabrikam Pour Over Coffee Grinder", brand="Fabrikam", sku="GRIND-1", price="80.00")
    assert new not in shop.ids("coffee grinder")
    shop.deliver()
    assert shop.ids("coffee grinder")[0] == new
    assert new not in shop.ids("coffee grinder", maxPrice="50")
    shop.reprice(new, "40.00")
    shop.deliver()
    assert new in shop.ids("coffee grinder", maxPrice="50")
    assert next(i for i in shop.search("coffee grinder").items if i.product_id == new).price == 40


def test_stock_to_zero_and_back(shop: Shop) -> None:
    lamp = shop.ids("headlamp")[0]
    assert not shop.search("headlamp").items[0].in_stock
    assert lamp not in shop.ids("headlamp", inStock="true")
    shop.stock("LAMP-1", 3)
    assert shop.deliver() == [lamp]
    assert shop.search("headlamp").items[0].in_stock
    assert lamp in shop.ids("headlamp", inStock="true")
    shop.stock("LAMP-1", -3)
    shop.deliver()
    assert lamp not in shop.ids("headlamp", inStock="true")
    assert lamp in shop.ids("headlamp")  # out of stock is still found, just not in stock


def test_a_redelivered_event_is_handled_once(shop: Shop) -> None:
    tent = shop.ids("trail tent")[0]
    shop.archive(tent)
    shop._bus.messages.clear()
    from shared.messaging.relay import OutboxRelay

    OutboxRelay(shop.store, shop._bus).run_once()
    body = shop._bus.messages[0].body
    assert service.handle_event(body) == [tent]
    assert service.handle_event(body) == []
    assert service.handle_event(b"not json") == []


def test_another_worker_catches_up_on_the_change_log(shop: Shop, counting: CountingEncoder) -> None:
    # Worker B starts from A's snapshot; then A handles an event: B sees it on its next search.
    shop.search("kettle")
    worker_b = EmbeddedSearch(shop.store, shop.blobs, counting, sync_seconds=0.0)
    from shared.search.engine import SearchRequest

    assert worker_b.search(SearchRequest("kettle")).total >= 2
    kettle = shop.ids("stainless kettle")[0]
    shop.archive(kettle)
    shop.deliver()  # handled by worker A (the configured one)
    assert kettle not in [h.product_id for h in worker_b.search(SearchRequest("stainless kettle")).items]


# --- search responses ------------------------------------------------------------------------


def test_facets_sum_to_total(shop: Shop) -> None:
    for q, params in [
        ("kettle", {}),
        ("tailspin", {}),
        ("northwind", {"maxPrice": "50"}),
        ("gear", {"mode": "semantic"}),
    ]:
        r = shop.search(q, **params)
        for facet in (r.facets.category, r.facets.brand, r.facets.price):
            assert sum(f.count for f in facet) == r.total, (q, facet)
        assert r.total >= len(r.items)


def test_filters_and_paging(shop: Shop) -> None:
    outdoor = shop.taxa["category:Outdoor"]
    r = shop.search("tailspin", category=outdoor)
    assert r.items and all(i.category_id == outdoor for i in r.items)
    first = shop.search("kettle pan tent lamp", limit=2, mode="keyword")
    assert first.total > 2 and first.continuation_token
    second = shop.search(
        "kettle pan tent lamp", limit=2, mode="keyword", continuationToken=first.continuation_token
    )
    assert not {i.product_id for i in first.items} & {i.product_id for i in second.items}
    with pytest.raises(ValidationFailed):
        shop.search("kettle", limit=2, continuationToken=first.continuation_token)  # another query's
    with pytest.raises(ValidationFailed):
        shop.search("kettle", continuationToken="garbage")


def test_did_you_mean_on_zero_results(shop: Shop) -> None:
    r = shop.search("xqzv kettel", mode="keyword")
    assert r.total >= 1  # "kettel" still matches by one edit
    r = shop.search("hedlampz", mode="keyword")
    assert r.total == 0 and r.did_you_mean == "headlamp"


# --- suggest ----------------------------------------------------------------------------------


def test_suggest_returns_completions_in_popularity_order(shop: Shop) -> None:
    for q, n in [("kettle electric", 3), ("kettle stainless", 7), ("kettle camping", 5)]:
        for _ in range(n):
            shop.search(q)
    shop.log.flush()
    service.refresh_popular_queries()
    texts = [s.text for s in service.suggest("kettle", 8).suggestions]
    assert texts[:3] == ["kettle stainless", "kettle camping", "kettle electric"]
    scores = [s.score for s in service.suggest("kettle", 8).suggestions]
    assert scores == sorted(scores, reverse=True)
    # one typo in the prefix
    assert "kettle stainless" in [s.text for s in service.suggest("ketle st", 8).suggestions]
    kinds = {s.text: s.kind for s in service.suggest("tailsp", 8).suggestions}
    assert kinds.get("Tailspin") == "brand" and kinds.get("Tailspin Headlamp") == "product"


def test_a_query_used_by_few_is_not_offered(shop: Shop) -> None:
    shop.search("kettle for my aunt margaret")
    shop.log.flush()
    service.refresh_popular_queries()
    assert all("margaret" not in s.text for s in service.suggest("kettle f", 8).suggestions)


# --- analytics -------------------------------------------------------------------------------


def test_clicks_and_analytics(shop: Shop) -> None:
    a = shop.search("kettle", user_id="u1")
    b = shop.search("kettle")
    c = shop.search("tent")
    shop.search("zzzzqqq", mode="keyword")
    service.record_click(
        ClickIn(query_id=a.query_id, product_id=a.items[1].product_id, position=2), user_id="u1"
    )
    service.record_click(
        ClickIn(query_id=a.query_id, product_id=a.items[0].product_id, position=1), user_id="u1"
    )
    service.record_click(
        ClickIn(query_id=a.query_id, product_id=a.items[0].product_id, position=1), user_id="u1"
    )
    service.record_click(
        ClickIn(query_id=c.query_id, product_id=c.items[0].product_id, position=4), user_id=None
    )
    report = service.analytics(None, None, 10)
    assert report.searches == 4
    assert report.clicks == 3  # the repeated click counts once
    assert report.searches_with_click == 2
    assert report.click_through_rate == 0.5
    assert report.mean_reciprocal_rank == pytest.approx((1 / 1 + 1 / 4) / 2)
    assert report.top_queries[0].query == "kettle" and report.top_queries[0].count == 2
    assert [q.query for q in report.zero_result_queries] == ["zzzzqqq"]
    assert b.query_id != a.query_id
    stored = shop.log.queries.read(a.query_id, a.query_id[:4] + "-" + a.query_id[4:6] + "-" + a.query_id[6:8])
    assert stored["userId"] == "u1" and set(stored) <= {
        "id",
        "day",
        "docType",
        "at",
        "query",
        "mode",
        "total",
        "productIds",
        "userId",
        "personalized",
        "filters",
        "_etag",
        "_ts",
    }


def test_bad_clicks_and_ranges_are_refused(shop: Shop) -> None:
    from datetime import date

    from pydantic import ValidationError

    with pytest.raises(ValidationError):
        ClickIn(query_id="nope", product_id="p", position=1)
    with pytest.raises(ValidationError):
        ClickIn(query_id="20260101-" + "0" * 32, product_id="p", position=0)
    with pytest.raises(NotFound):
        service.record_click(
            ClickIn(query_id="20260101-" + "0" * 32, product_id="p", position=1), user_id=None
        )
    with pytest.raises(ValidationFailed):
        service.analytics(date(2026, 3, 2), date(2026, 3, 1), 10)
    with pytest.raises(ValidationFailed):
        service.analytics(date(2026, 1, 1), date(2026, 6, 1), 10)  # more than 92 days
    with pytest.raises(ValidationFailed):
        service.analytics(None, date(9999, 12, 31), 10)
    with pytest.raises(ValidationFailed):
        shop.search("kettle", minPrice="50", maxPrice="10")
    with pytest.raises(NotFound):
        service.reindex_status("../../etc")


# --- personalization -------------------------------------------------------------------------


def test_personalization_by_favourite_category(shop: Shop) -> None:
    from shared.http.auth import Principal
    from shared.users import service as users
    from shared.users.schemas import Preferences

    plain = shop.search("northwind tailspin", mode="keyword")
    # Favour the category the plain ranking does not put first: taste must lift it to the top.
    favourite = next(
        c
        for c in (shop.taxa["category:Outdoor"], shop.taxa["category:Kitchen"])
        if c != plain.items[0].category_id
    )
    principal = Principal(sub="shopper", roles=("customer",), email="c@example.com")
    users.ensure_profile(principal, store=shop.store)
    user_id = users.my_id(principal)
    users.set_preferences(
        store=shop.store, user_id=user_id, preferences=Preferences(favorite_categories=[favourite])
    )
    mine = shop.search("northwind tailspin", user_id=user_id, mode="keyword")
    off = shop.search("northwind tailspin", user_id=user_id, mode="keyword", personalize="false")
    assert not plain.personalized and mine.personalized and not off.personalized
    assert [i.product_id for i in off.items] == [i.product_id for i in plain.items]
    assert mine.items[0].category_id == favourite, mine.items
    assert sorted(i.product_id for i in mine.items) == sorted(i.product_id for i in plain.items)


def test_recommendation_factors_through_the_taste_port(shop: Shop) -> None:
    pan = shop.ids("frying pan")[0]

    class Factors:
        def item_scorer(self, user_id: str):  # type: ignore[no-untyped-def]
            return lambda ids: [1.0 if i == pan else -1.0 for i in ids]

    service.set_taste_source(Factors())
    try:
        assert shop.ids("northwind", user_id="someone", mode="keyword")[0] == pan
        assert shop.search("northwind").personalized is False  # anonymous: plain ranking
    finally:
        from shared.search.ports import NoTaste

        service.set_taste_source(NoTaste())


# --- lifecycle -------------------------------------------------------------------------------


def test_a_rebuild_swaps_without_a_window_answering_empty(shop: Shop) -> None:
    from shared.search.engine import SearchRequest

    stop = threading.Event()
    seen: list[int] = []
    errors: list[BaseException] = []

    def hammer() -> None:
        while not stop.is_set():
            try:
                seen.append(shop.backend.search(SearchRequest("kettle", mode="keyword")).total)
            except BaseException as exc:
                errors.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        before = shop.backend._live
        for _ in range(3):
            shop.backend.rebuild()
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert not errors
    assert shop.backend._live is not before
    assert len(seen) > 10 and min(seen) >= 2, (len(seen), min(seen))


def test_a_rebuild_picks_up_what_no_event_announced(shop: Shop) -> None:
    new = shop.add("Wingtip Espresso Machine", brand="Wingtip", sku="ESP-1")  # never delivered
    assert new not in shop.ids("espresso machine")
    report = shop.backend.rebuild()
    assert report.products == 6 and report.snapshot_id
    assert shop.ids("espresso machine")[0] == new


def test_a_new_worker_starts_from_the_snapshot_plus_events_since(
    shop: Shop, counting: CountingEncoder
) -> None:
    shop.search("kettle")  # worker A: built from the catalog, snapshot written
    assert SnapshotStore(shop.blobs).latest() is not None
    grinder = shop.add("Fabrikam Coffee Grinder", brand="Fabrikam", sku="GRIND-2")
    shop.deliver()
    counting.texts.clear()
    worker_b = EmbeddedSearch(shop.store, shop.blobs, counting, sync_seconds=0.0)
    from shared.search.engine import SearchRequest

    assert worker_b.search(SearchRequest("coffee grinder")).items[0].product_id == grinder
    # Loaded, not rebuilt: only the product changed since the snapshot (and the query) was embedded.
    assert "Fabrikam Coffee Grinder. Kitchen" in counting.texts
    assert "Northwind Stainless Kettle. Kitchen" not in counting.texts


@pytest.mark.parametrize("damage", ["corrupt", "missing-blob", "bad-pointer"])
def test_a_corrupt_or_missing_snapshot_rebuilds_from_the_catalog(
    shop: Shop, counting: CountingEncoder, damage: str
) -> None:
    shop.search("kettle")
    snaps = SnapshotStore(shop.blobs)
    info = snaps.latest()
    assert info is not None
    name = f"{PREFIX}{info.snapshot_id}.tar"
    if damage == "corrupt":
        data = bytearray(snaps.container.get(name).data)
        data[len(data) // 2] ^= 0xFF
        snaps.container.put(name, bytes(data))
    elif damage == "missing-blob":
        snaps.container.delete(name)
    else:
        snaps.container.put("latest.json", b"{not json")
    worker_b = EmbeddedSearch(shop.store, shop.blobs, counting, sync_seconds=0.0)
    from shared.search.engine import SearchRequest

    assert worker_b.search(SearchRequest("stainless kettle")).total >= 1
    assert worker_b.wait_complete()  # it answered from a keyword index; the complete one follows
    fresh = snaps.latest()
    assert fresh is not None and fresh.snapshot_id != info.snapshot_id  # rebuilt and re-published


def test_an_empty_catalog_answers_empty(
    store: SqliteDocumentStore, blobs: FolderBlobStore, counting: CountingEncoder
) -> None:
    s = make_shop(store, blobs, counting)
    r = s.search("anything")
    assert r.total == 0 and r.items == [] and r.facets.category == []


def test_the_rebuild_reads_active_products_and_stock_records_only(shop: Shop) -> None:
    from shared.inventory import service as inventory
    from shared.search.projection import CatalogReader

    old = shop.add("Lamna Old Kettle", brand="Lamna", sku="OLD-1")
    shop.archive(old)
    shop.stock("KETTLE-1", 5)
    shop.stock("KETTLE-1", -2)  # adjustment documents beside the stock record; events still in the outbox
    available = inventory.available_by_sku(store=shop.store)
    assert available["KETTLE-1"] == 3 and set(available) == {
        "KETTLE-1",
        "KETTLE-2",
        "PAN-1",
        "TENT-1",
        "LAMP-1",
        "OLD-1",
    }
    docs = {d.product_id: d for d in CatalogReader(shop.store).all_documents()}
    assert old not in docs and len(docs) == 5
    assert [d.name for d in docs.values() if d.in_stock] == ["Northwind Stainless Kettle"]


def test_the_first_event_in_a_worker_starts_its_index_in_the_background(
    store: SqliteDocumentStore, blobs: FolderBlobStore, counting: CountingEncoder
) -> None:
    # Without it, every shopper's first search waited for the start (docs/search.md, under load).
    s = make_shop(store, blobs, counting)
    kettle = s.add("Northwind Stainless Kettle", sku="KETTLE-1")
    assert not s.backend.loaded
    s.deliver()  # the consumer: marks the change and starts the index, without waiting for it
    deadline = time.monotonic() + 60
    while not s.backend.loaded and time.monotonic() < deadline:
        time.sleep(0.05)
    assert s.backend.loaded
    assert s.ids("stainless kettle") == [kettle]
    assert s.backend.wait_complete()


class GatedEncoder(CountingEncoder):
    """Embeds only once the gate opens (a slow catalog embedding)."""

    def __init__(self, inner: CountingEncoder) -> None:
        super().__init__(inner.inner)
        self.gate = threading.Event()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        assert self.gate.wait(60)
        return super().encode(texts)


def test_without_a_snapshot_a_worker_answers_by_keyword_at_once_then_swaps_in_the_full_index(
    store: SqliteDocumentStore, blobs: FolderBlobStore, counting: CountingEncoder
) -> None:
    s = make_shop(store, blobs, counting)
    kettle = s.add("Northwind Stainless Kettle", sku="KETTLE-1")
    gated = GatedEncoder(counting)
    worker = EmbeddedSearch(store, blobs, gated, sync_seconds=0.0)
    from shared.search.engine import SearchRequest

    answers: list[Any] = []
    first = threading.Thread(target=lambda: answers.append(worker.search(SearchRequest("stainless kettle"))))
    first.start()
    first.join(20)
    try:
        assert answers, "the first search waited for the catalog's embedding"
        assert answers[0].mode == "keyword" and [h.product_id for h in answers[0].items] == [kettle]
        assert SnapshotStore(blobs).latest() is None  # the complete index is still being built
    finally:
        gated.gate.set()
    assert worker.wait_complete()
    full = worker.search(SearchRequest("something to boil water"))
    assert full.mode == "hybrid" and kettle in [h.product_id for h in full.items]
    assert SnapshotStore(blobs).latest() is not None
