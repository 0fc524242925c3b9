"""The recommendations context's storage on every document adapter (SQLite; Cosmos on
cosmosdb-server): history order and idempotent ids, erasure, experiment units and results, and
the catalog snapshot built from what the catalog and inventory services wrote."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from shared.catalog.schemas import BrandCreate, CategoryCreate, ProductCreate
from shared.catalog.service import archive_product, create_product
from shared.catalog.taxonomy import create_brand, create_category
from shared.inventory.service import adjust_stock
from shared.kernel.money import Money
from shared.ports.documents import DocumentStore
from shared.recommendations.assignment import assign
from shared.recommendations.catalog_view import StoreCatalogView
from shared.recommendations.experiments import Assignment, Experiments
from shared.recommendations.interactions import InteractionStore
from shared.recommendations.schemas import ExperimentCreate

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def test_history_is_newest_first_idempotent_by_id_and_erasable(docs: DocumentStore) -> None:
    store = InteractionStore(docs, cache_seconds=lambda: 0.0)
    user, other = _uid("u"), _uid("u")
    for n in range(30):
        kind = "purchase" if n % 10 == 0 else "view"
        assert store.record(
            user_id=user,
            product_id=f"p{n % 7}",
            kind=kind,
            at=T0 + timedelta(minutes=n),
            interaction_id=f"i{n}",
        )
    assert not store.record(
        user_id=user, product_id="p0", kind="view", at=T0, interaction_id="i0"
    )  # redelivery
    store.record(user_id=other, product_id="p1", kind="view", at=T0)
    history = store.history(user)
    assert len(history) == 30
    assert [h.at for h in history] == sorted((h.at for h in history), reverse=True)
    assert history[0].at == T0 + timedelta(minutes=29)
    first, token = store.page(user, limit=12, continuation_token=None)
    second, _ = store.page(user, limit=12, continuation_token=token)
    assert len(first) == 12 and token and {d["id"] for d in first}.isdisjoint(d["id"] for d in second)
    assert store.erase_user(user) == 30
    assert store.history(user) == [] and len(store.history(other)) == 1


def test_experiment_units_conversions_and_results(docs: DocumentStore) -> None:
    experiments = Experiments(docs, cache_seconds=lambda: 0.0)
    # One running experiment per target: this store is shared by the module's Cosmos tests.
    running = experiments.running()
    if running is not None:
        experiments.stop(running["name"])
    name = _uid("exp").lower()
    body = {
        "name": name,
        "target": "recommendations",
        "variants": [{"name": "control", "weight": 1}, {"name": "treatment", "weight": 1}],
    }
    experiments.create(ExperimentCreate.model_validate(body), by="admin")
    units = [f"user-{n}" for n in range(120)]
    variants = {}
    for unit in units:
        assignment = experiments.assignment(unit)
        assert assignment is not None
        variants[unit] = assignment.variant
        experiments.record_exposure(assignment, unit)
        experiments.record_exposure(assignment, unit)  # the same user again: one unit
    # Exposures are written by a background writer; another instance reads them once written.
    experiments.flush()
    fresh = Experiments(docs, cache_seconds=lambda: 0.0)  # another instance: no in-process memory
    fresh.record_exposure(Assignment(name, variants[units[0]], {}), units[0])
    converted = units[:30]
    for unit in converted:
        assert fresh.record_conversion(unit, at=datetime.now(UTC) + timedelta(seconds=1))
        assert not fresh.record_conversion(unit, at=datetime.now(UTC) + timedelta(seconds=2))  # set once
    assert not fresh.record_conversion("never-exposed")
    results = experiments.results(name)
    by = {v.name: v for v in results.variants}
    assert sum(v.exposures for v in results.variants) == 120
    assert by["control"].exposures == sum(1 for v in variants.values() if v == "control")
    assert sum(v.conversions for v in results.variants) == 30
    assert by["treatment"].rate == by["treatment"].conversions / by["treatment"].exposures
    assert results.srm.ok
    assert experiments.erase_unit(units[0]) == 1
    assert sum(v.exposures for v in experiments.results(name).variants) == 119
    experiments.stop(name)
    assert experiments.assignment("user-1") is None
    assert assign(name, "user-1", [("control", 1), ("treatment", 1)]) == variants["user-1"]


def test_catalog_view_sees_archive_and_stock_from_the_services(docs: DocumentStore) -> None:
    category = create_category(store=docs, data=CategoryCreate(name=_uid("Tents")))
    brand = create_brand(store=docs, data=BrandCreate(name=_uid("Brand")))

    def product(name: str) -> str:
        data = ProductCreate(
            sku=_uid("SKU"),
            name=name,
            description="integration",
            category_id=category.id,
            brand_id=brand.id,
            price=Money(amount=Decimal("10.00"), currency="USD"),
        )
        return create_product(store=docs, data=data).value.id

    stocked, empty, archived = product("Stocked tent"), product("Empty tent"), product("Old tent")
    view = StoreCatalogView(docs, refresh_seconds=lambda: 0.0)
    for pid in (stocked, archived):
        adjust_stock(store=docs, sku=_sku(docs, pid), delta=3, reason="test")
    archive_product(store=docs, product_id=archived)
    items = view.items()
    assert items[stocked].servable and items[stocked].category_name == category.name
    assert items[empty].active and not items[empty].in_stock
    assert not items[archived].active and items[archived].in_stock
    assert view.lookup("no-such-product") is None
    # A rebuild that finds nothing changed keeps the snapshot object (what is derived from it stays
    # valid downstream); a change gives a new one.
    assert view.items() is items
    adjust_stock(store=docs, sku=_sku(docs, empty), delta=1, reason="test")
    changed = view.items()
    assert changed is not items and changed[empty].servable


def _sku(docs: DocumentStore, product_id: str) -> str:
    return str(docs.container("products", "/productId").read(product_id, product_id)["sku"])


def _shop(docs: DocumentStore, count: int) -> tuple[str, list[str]]:
    """`count` products of one new category, each with 2 in stock: (category name, product ids)."""
    category = create_category(store=docs, data=CategoryCreate(name=_uid("Lamps")))
    brand = create_brand(store=docs, data=BrandCreate(name=_uid("Brand")))
    pids = []
    for n in range(count):
        data = ProductCreate(
            sku=_uid("SKU"),
            name=f"Lamp {n}",
            description="integration",
            category_id=category.id,
            brand_id=brand.id,
            price=Money(amount=Decimal("10.00"), currency="USD"),
        )
        pid = create_product(store=docs, data=data).value.id
        adjust_stock(store=docs, sku=_sku(docs, pid), delta=2, reason="test")
        pids.append(pid)
    return category.name, pids


def test_the_background_refresh_reads_in_slices_and_sees_an_archive_and_a_stock_out_within_its_period(
    docs: DocumentStore,
) -> None:
    # More products than one slice: the rebuild pages through them, pausing between pages so that
    # no request waits behind the whole rebuild (it was the p99 of GET /recommendations). A small
    # slice, not the default 64: each product written through the catalog service takes ~2 s on
    # cosmosdb-server (it answers the read of a sku not yet stocked with a 500, which the SDK
    # retries twice after 0.5 s), so 70 of them ran past the 300 s timeout in a full run. The
    # paging (continuation tokens until None) is the same whatever the page size.
    slice_documents = 4
    _, pids = _shop(docs, 2 * slice_documents + 2)
    now = [0.0]
    pauses: list[float] = []
    view = StoreCatalogView(
        docs,
        refresh_seconds=lambda: 5.0,
        clock=lambda: now[0],
        pause_seconds=0.001,
        sleep=pauses.append,
        slice_documents=slice_documents,
    )
    first = view.items()  # the first build: on the request, in one go
    assert all(first[pid].servable for pid in pids) and pauses == []
    archived, sold_out, kept = pids[0], pids[-1], pids[1]
    archive_product(store=docs, product_id=archived)
    adjust_stock(store=docs, sku=_sku(docs, sold_out), delta=-2, reason="test")
    now[0] = 4.9
    assert view.items() is first  # within the period: the snapshot as built
    now[0] = 5.0
    assert view.items() is first  # expired: still served while the refresh runs off the request
    deadline = time.monotonic() + 10
    while (fresh := view.items()) is first and time.monotonic() < deadline:
        time.sleep(0.005)
    assert fresh is not first
    assert not fresh[archived].active and not fresh[sold_out].in_stock
    assert fresh[kept].servable and fresh[kept] is first[kept]  # unchanged products keep their objects
    # Every container was read a slice at a time, with a pause between its pages.
    assert len(pauses) >= (len(pids) - 1) // slice_documents and set(pauses) == {0.001}
    # A refresh that finds nothing changed keeps the snapshot object (derived caches stay valid).
    now[0] = 10.1
    view.items()
    deadline = time.monotonic() + 10
    while view._lock.locked() and time.monotonic() < deadline:
        time.sleep(0.005)
    assert view.items() is fresh


def test_lookup_reads_a_product_the_snapshot_does_not_know_through_point_reads(docs: DocumentStore) -> None:
    view = StoreCatalogView(docs, refresh_seconds=lambda: 60.0)
    view.items()
    name, (stocked, empty) = _shop(docs, 2)  # created after the snapshot was built
    adjust_stock(store=docs, sku=_sku(docs, empty), delta=-2, reason="test")
    assert stocked not in view.items()
    found, missing = view.lookup(stocked), view.lookup(empty)
    assert found is not None and found.servable and found.category_name == name
    assert missing is not None and missing.active and not missing.in_stock
    assert view.lookup("no-such-product") is None
