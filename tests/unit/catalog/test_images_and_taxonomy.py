from __future__ import annotations

import pytest

from shared.catalog.images import PayloadTooLarge, UnsupportedMediaType, add_image, get_image
from shared.catalog.model import etag_header, etag_matches, slugify
from shared.catalog.schemas import CategoryCreate
from shared.catalog.service import create_product, get_product
from shared.catalog.taxonomy import create_category, list_categories
from shared.kernel.errors import NotFound, ValidationFailed
from shared.ports.blobs import BlobStore
from shared.ports.documents import DocumentStore
from tests.unit.catalog.conftest import product_data


def test_image_round_trip(store: DocumentStore, blobs: BlobStore, refs: dict[str, str]) -> None:
    pid = create_product(store=store, data=product_data(refs)).value.id
    url = add_image(store=store, blobs=blobs, product_id=pid, data=b"\x89PNG...", content_type="image/png")
    assert get_product(store=store, product_id=pid).value.images == [url]
    image_id = url.rsplit("/", 1)[1]
    image = get_image(blobs=blobs, product_id=pid, image_id=image_id)
    assert image.data == b"\x89PNG..." and image.content_type == "image/png"
    with pytest.raises(NotFound):
        get_image(blobs=blobs, product_id=pid, image_id="../../etc/passwd")


def test_image_rules(store: DocumentStore, blobs: BlobStore, refs: dict[str, str]) -> None:
    pid = create_product(store=store, data=product_data(refs)).value.id
    with pytest.raises(UnsupportedMediaType):
        add_image(store=store, blobs=blobs, product_id=pid, data=b"x", content_type="text/html")
    with pytest.raises(ValidationFailed):
        add_image(store=store, blobs=blobs, product_id=pid, data=b"", content_type="image/png")
    with pytest.raises(PayloadTooLarge):
        add_image(
            store=store,
            blobs=blobs,
            product_id=pid,
            data=b"x" * (5 * 1024 * 1024 + 1),
            content_type="image/jpeg",
        )
    with pytest.raises(NotFound):
        add_image(store=store, blobs=blobs, product_id="nope", data=b"x", content_type="image/png")
    assert get_product(store=store, product_id=pid).value.images == []


def test_categories_need_a_known_parent(store: DocumentStore) -> None:
    parent = create_category(store=store, data=CategoryCreate(name="Küche & Haus"))
    assert parent.slug == "kuche-haus"
    child = create_category(store=store, data=CategoryCreate(name="Knives", parent_id=parent.id))
    assert child.parent_id == parent.id
    with pytest.raises(ValidationFailed):
        create_category(store=store, data=CategoryCreate(name="Orphan", parent_id="missing"))
    names = [c.name for c in list_categories(store=store, limit=10, continuation_token=None).items]
    assert names == ["Knives", "Küche & Haus"]


def test_etag_rules() -> None:
    assert etag_header("abc") == '"abc"' and etag_header('"abc"') == '"abc"'
    assert etag_matches('"abc"', "abc") and etag_matches('W/"abc"', '"abc"') and etag_matches("*", "x")
    assert etag_matches('"x", "abc"', "abc") and not etag_matches('"abd"', "abc")
    assert slugify("!!!") == "item"


def test_prices_are_bounded_for_the_listing_filter() -> None:
    from pydantic import ValidationError

    from shared.catalog.schemas import PriceUpdate

    assert PriceUpdate.model_validate({"price": {"amount": "1000000000.00", "currency": "USD"}})
    with pytest.raises(ValidationError):
        PriceUpdate.model_validate({"price": {"amount": "1000000000.01", "currency": "USD"}})


def test_image_route_values_cannot_walk_the_blob_namespace(blobs: BlobStore) -> None:
    # A product id like "../x" made the folder store refuse the blob name (ValueError: a 500).
    for product_id in ("..", "../..", "a/b", "a.b"):
        with pytest.raises(NotFound):
            get_image(blobs=blobs, product_id=product_id, image_id="0" * 32)
