from __future__ import annotations

from decimal import Decimal

import jsonschema_rs
import pytest
from pydantic import ValidationError as PydanticValidationError

from shared.catalog.repository import CatalogRepository
from shared.catalog.schemas import ProductCreate, ProductListQuery
from shared.catalog.service import (
    archive_product,
    create_product,
    find_sku,
    get_product,
    list_products,
    list_products_json,
    price_history,
    update_price,
    update_product,
)
from shared.inventory.service import SkuTaken, get_stock
from shared.kernel.errors import NotFound, PreconditionFailed, ValidationFailed
from shared.kernel.money import Money
from shared.messaging.outbox import PENDING
from shared.ports.documents import DocumentStore
from tests.unit.catalog.conftest import product_data


def events(store: DocumentStore) -> list[dict]:
    docs = CatalogRepository(store).products.query_all(PENDING)
    return [d["_outbox"]["event"] for d in sorted(docs, key=lambda d: d["_outbox"]["seq"])]


def test_create_gives_every_sku_an_inventory_record(store: DocumentStore, refs: dict[str, str]) -> None:
    data = product_data(
        refs,
        variants=[
            {"sku": "MUG-1-RED", "attributes": {"color": "red"}},
            {"sku": "MUG-1-BLUE", "price": {"amount": "11.50", "currency": "USD"}},
        ],
    )
    created = create_product(store=store, data=data)
    product = created.value
    assert product.status == "active" and product.images == [] and created.etag
    for sku in ("MUG-1", "MUG-1-RED", "MUG-1-BLUE"):
        assert get_stock(store=store, sku=sku).on_hand == 0
    assert [e["type"] for e in events(store)] == ["ProductCreated"]
    assert events(store)[0]["data"]["skus"] == ["MUG-1", "MUG-1-RED", "MUG-1-BLUE"]
    info = find_sku(store=store, sku="MUG-1-BLUE")
    assert info is not None and info.unit_price == Money.of("11.50", "USD") and info.product_id == product.id
    assert find_sku(store=store, sku="NOPE") is None


def test_duplicate_skus_and_unknown_references(store: DocumentStore, refs: dict[str, str]) -> None:
    with pytest.raises(ValidationFailed) as err:
        create_product(store=store, data=product_data(refs, variants=[{"sku": "MUG-1"}]))
    assert err.value.errors[0]["field"] == "variants[0].sku"
    with pytest.raises(ValidationFailed) as err:
        create_product(store=store, data=product_data({**refs, "brand_id": "nope"}))
    assert err.value.errors[0]["field"] == "brandId"
    create_product(store=store, data=product_data(refs))
    with pytest.raises(SkuTaken):
        create_product(store=store, data=product_data(refs))  # another product, same sku
    assert list_products(store=store, query=ProductListQuery()).items.__len__() == 1


def test_update_needs_the_current_etag(store: DocumentStore, refs: dict[str, str]) -> None:
    created = create_product(store=store, data=product_data(refs))
    pid = created.value.id
    changed = product_data(refs, name="Big mug", variants=[{"sku": "MUG-1-XL"}])
    with pytest.raises(PreconditionFailed):
        update_product(store=store, product_id=pid, data=changed, if_match='"stale"')
    assert get_product(store=store, product_id=pid).value.name == "Mug MUG-1"
    updated = update_product(store=store, product_id=pid, data=changed, if_match=f'"{created.etag}"')
    assert updated.value.name == "Big mug" and updated.etag != created.etag
    assert get_stock(store=store, sku="MUG-1-XL").available == 0
    modified = events(store)[-1]
    assert modified["type"] == "ProductModified" and set(modified["data"]["changed"]) == {"name", "variants"}
    with pytest.raises(PreconditionFailed):  # the old ETag is stale now
        update_product(store=store, product_id=pid, data=changed, if_match=created.etag)


def test_price_update_keeps_history_and_emits_old_and_new(store: DocumentStore, refs: dict[str, str]) -> None:
    created = create_product(store=store, data=product_data(refs, amount="10.00"))
    pid = created.value.id
    new = update_price(store=store, product_id=pid, price=Money.of("12.50", "USD"), if_match=created.etag)
    assert new.value.price.amount == Decimal("12.50")
    event = events(store)[-1]
    assert event["type"] == "PriceUpdated"
    assert event["data"]["oldPrice"] == {"amount": "10.00", "currency": "USD"}
    assert event["data"]["newPrice"] == {"amount": "12.50", "currency": "USD"}
    history = price_history(store=store, product_id=pid).items
    assert [str(p.price.amount) for p in history] == ["10.00", "12.50"]
    with pytest.raises(ValidationFailed):
        update_price(store=store, product_id=pid, price=Money.of("12", "EUR"), if_match=new.etag)


def test_archive_hides_from_listing_but_not_from_get(store: DocumentStore, refs: dict[str, str]) -> None:
    pid = create_product(store=store, data=product_data(refs)).value.id
    archive_product(store=store, product_id=pid)
    archive_product(store=store, product_id=pid)  # idempotent: one event
    assert get_product(store=store, product_id=pid).value.status == "archived"
    assert list_products(store=store, query=ProductListQuery()).items == []
    assert [e["type"] for e in events(store)].count("ProductArchived") == 1
    with pytest.raises(NotFound):
        archive_product(store=store, product_id="missing")


def test_listing_filters_and_pages(store: DocumentStore, refs: dict[str, str]) -> None:
    for i, amount in enumerate(["5.00", "15.00", "25.00", "35.00", "45.00"]):
        create_product(store=store, data=product_data(refs, sku=f"P{i}", amount=amount, name=f"Item {i}"))
    mid = ProductListQuery(min_price=Decimal("10"), max_price=Decimal("35.00"))
    assert [p.sku for p in list_products(store=store, query=mid).items] == ["P1", "P2", "P3"]
    assert list_products(store=store, query=ProductListQuery(brand="other")).items == []
    assert len(list_products(store=store, query=ProductListQuery(category=refs["category_id"])).items) == 5
    seen: list[str] = []
    token = None
    for _ in range(5):
        page = list_products(store=store, query=ProductListQuery(limit=2, continuation_token=token))
        seen += [p.sku for p in page.items]
        token = page.continuation_token
        if token is None:
            break
    assert seen == ["P0", "P1", "P2", "P3", "P4"]


def test_reads_are_cached_and_invalidated_by_own_writes(store: DocumentStore, refs: dict[str, str]) -> None:
    created = create_product(store=store, data=product_data(refs))
    pid = created.value.id
    first = get_product(store=store, product_id=pid)
    # A write behind the service's back (another instance) is not seen within the TTL...
    repo = CatalogRepository(store)
    doc = repo.get_product(pid)
    assert doc is not None
    repo.products.replace({**doc, "name": "Changed elsewhere"}, if_match=doc["_etag"])
    assert get_product(store=store, product_id=pid).value.name == first.value.name
    # ...but this instance's own write is visible to the next read at once.
    renamed = product_data(refs, name="Renamed here")
    current = repo.get_product(pid)
    assert current is not None
    update_product(store=store, product_id=pid, data=renamed, if_match=current["_etag"])
    assert get_product(store=store, product_id=pid).value.name == "Renamed here"


def test_put_cannot_change_the_currency(store: DocumentStore, refs: dict[str, str]) -> None:
    # Like PUT .../price: a product keeps one currency (history and price filters compare amounts).
    created = create_product(store=store, data=product_data(refs, amount="10.00"))
    pid = created.value.id
    euros = product_data(refs).model_copy(update={"price": Money.of("9.00", "EUR")})
    with pytest.raises(ValidationFailed) as raised:
        update_product(store=store, product_id=pid, data=euros, if_match=created.etag)
    assert [e["field"] for e in raised.value.errors] == ["price.currency"]
    assert get_product(store=store, product_id=pid).value.price == Money.of("10.00", "USD")
    assert [e["type"] for e in events(store)] == ["ProductCreated"]


def test_a_foreign_continuation_token_is_a_validation_error(
    store: DocumentStore, refs: dict[str, str]
) -> None:
    for n in range(3):
        create_product(store=store, data=product_data(refs, sku=f"MUG-{n}"))
    page = list_products(store=store, query=ProductListQuery(limit=2))
    assert page.continuation_token
    garbage = ProductListQuery(limit=2, continuation_token="garbage")
    # A real token, but from another query (other filters): not this list's token either.
    foreign = ProductListQuery(limit=2, continuation_token=page.continuation_token, category="other")
    for query in (garbage, foreign):
        with pytest.raises(ValidationFailed) as raised:
            list_products(store=store, query=query)
        assert [e["field"] for e in raised.value.errors] == ["continuationToken"]


def test_attributes_must_be_finite_and_bounded(refs: dict[str, str]) -> None:
    # json.loads reads 1e400 as inf, which the store cannot serialize back: refuse it up front.
    with pytest.raises(PydanticValidationError) as raised:
        product_data(refs, attributes={"weight": float("inf")})
    assert [e["loc"] for e in raised.value.errors()] == [("attributes",)]
    assert product_data(refs, attributes={"weight": 1.5}).attributes == {"weight": 1.5}
    # Bounded, so 100 variants of 50 attributes stay under the store's document size limit.
    for too_big in ({"x" * 65: 1}, {"": 1}, {"note": "x" * 201}):
        with pytest.raises(PydanticValidationError):
            product_data(refs, attributes=too_big)


def test_schema_states_attribute_and_price_filter_limits(refs: dict[str, str]) -> None:
    # Found by tests/e2e/test_api_fuzz.py: schema-valid attribute names and minPrice values (e.g.
    # "1e5", 7 decimals) were refused with 422; the schema now documents the validators' limits.
    body = validator_for(ProductCreate)
    data = product_data(refs).model_dump(by_alias=True, mode="json")
    assert body.is_valid({**data, "attributes": {"colour": "red"}})
    assert not body.is_valid({**data, "attributes": {"x" * 65: "red"}})
    assert not body.is_valid({**data, "attributes": {"": 1}})
    assert not body.is_valid({**data, "attributes": {"note": "y" * 201}})
    query = validator_for(ProductListQuery)
    for documented in ("0", "12.5", "999999999999.123456"):
        assert query.is_valid({"minPrice": documented})
        ProductListQuery.model_validate({"minPrice": documented})
    assert not query.is_valid({"minPrice": "1e5"})  # accepted, but not documented: stricter is fine
    for refused in ("1.1234567", "-1", "1234567890123"):
        assert not query.is_valid({"minPrice": refused})
        with pytest.raises(PydanticValidationError):
            ProductListQuery.model_validate({"minPrice": refused})


def validator_for(model: type[ProductCreate] | type[ProductListQuery]) -> jsonschema_rs.Validator:
    return jsonschema_rs.validator_for(model.model_json_schema())


def test_cached_reads_are_serialized_once_and_writes_are_sent_fresh(
    store: DocumentStore, refs: dict[str, str]
) -> None:
    from shared.http.parsing import render
    from shared.kernel.frozen import frozen_json

    created = create_product(store=store, data=product_data(refs))
    pid = created.value.id
    cached = get_product(store=store, product_id=pid)
    assert get_product(store=store, product_id=pid) is cached  # a cache hit
    assert frozen_json(cached.value) == cached.value.model_dump_json(by_alias=True).encode()
    # The listing is sent as the bytes the service assembles (list_products_json): the same bytes
    # its page model renders to.
    page = list_products(store=store, query=ProductListQuery())
    assert list_products_json(store=store, query=ProductListQuery()) == render(page, 200).get_body()
    update_product(store=store, product_id=pid, data=product_data(refs, name="Renamed"), if_match=cached.etag)
    fresh = get_product(store=store, product_id=pid)
    assert b'"name":"Renamed"' in render(fresh.value, 200).get_body()
    listed = list_products_json(store=store, query=ProductListQuery())
    assert b'"name":"Renamed"' in listed and b'"name":"Mug' not in listed


def test_a_failed_product_write_removes_the_inventory_records_it_made(
    store: DocumentStore, refs: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from shared.inventory.service import find_stock

    def broken(self: CatalogRepository, doc: dict, events: list) -> dict:
        raise RuntimeError("the store went away")

    monkeypatch.setattr(CatalogRepository, "create_product", broken)
    data = product_data(refs, sku="CUP-1", variants=[{"sku": "CUP-1-L"}])
    with pytest.raises(RuntimeError):
        create_product(store=store, data=data)
    assert find_stock(store=store, sku="CUP-1") is None
    assert find_stock(store=store, sku="CUP-1-L") is None
    monkeypatch.undo()
    assert create_product(store=store, data=data).value.sku == "CUP-1"
    assert get_stock(store=store, sku="CUP-1-L").on_hand == 0
