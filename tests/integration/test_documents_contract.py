"""Document store contract: CRUD, ETag conditions, patch and typed errors, on every adapter."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from shared.ports.documents import (
    Container,
    DocumentExists,
    DocumentNotFound,
    ETagMismatch,
    InvalidPatch,
    PatchOp,
)

MakeContainer = Callable[..., Container]


def test_create_then_read_returns_the_document_with_an_etag(make_container: MakeContainer) -> None:
    c = make_container()
    created = c.create({"id": "a", "pk": "p1", "name": "Mug", "qty": 3, "tags": ["x"], "meta": {"n": None}})
    assert created["_etag"]
    read = c.read("a", "p1")
    assert {k: read[k] for k in ("id", "pk", "name", "qty", "tags", "meta")} == {
        "id": "a",
        "pk": "p1",
        "name": "Mug",
        "qty": 3,
        "tags": ["x"],
        "meta": {"n": None},
    }
    assert read["_etag"] == created["_etag"]
    assert isinstance(read["_ts"], int)


def test_numbers_stay_exact(make_container: MakeContainer) -> None:
    c = make_container()
    c.create({"id": "n", "pk": "p", "big": 9007199254740991, "neg": -42, "f": 0.1, "zero": 0})
    read = c.read("n", "p")
    assert read["big"] == 9007199254740991 and isinstance(read["big"], int)
    assert read["neg"] == -42 and isinstance(read["neg"], int)
    assert read["f"] == 0.1
    assert read["zero"] == 0 and isinstance(read["zero"], int)


def test_create_of_an_existing_id_in_the_partition_fails(make_container: MakeContainer) -> None:
    c = make_container()
    c.create({"id": "a", "pk": "p1"})
    with pytest.raises(DocumentExists):
        c.create({"id": "a", "pk": "p1"})
    c.create({"id": "a", "pk": "p2"})  # same id, other partition: a different document
    assert c.read("a", "p2")["pk"] == "p2"


def test_read_of_a_missing_document_is_not_found(make_container: MakeContainer) -> None:
    c = make_container()
    c.create({"id": "a", "pk": "p1"})
    with pytest.raises(DocumentNotFound):
        c.read("missing", "p1")
    with pytest.raises(DocumentNotFound):
        c.read("a", "other-partition")


def test_every_write_changes_the_etag(make_container: MakeContainer) -> None:
    c = make_container()
    first = c.create({"id": "a", "pk": "p", "v": 1})
    second = c.upsert({**first, "v": 2})
    third = c.replace({**second, "v": 3})
    fourth = c.patch("a", "p", [PatchOp("set", "/v", 4)])
    etags = [first["_etag"], second["_etag"], third["_etag"], fourth["_etag"]]
    assert len(set(etags)) == 4
    assert c.read("a", "p")["v"] == 4


def test_upsert_creates_then_replaces(make_container: MakeContainer) -> None:
    c = make_container()
    c.upsert({"id": "a", "pk": "p", "v": 1})
    c.upsert({"id": "a", "pk": "p", "v": 2})
    assert c.read("a", "p")["v"] == 2


def test_replace_with_a_stale_etag_fails_and_changes_nothing(make_container: MakeContainer) -> None:
    c = make_container()
    first = c.create({"id": "a", "pk": "p", "v": 1})
    c.replace({**first, "v": 2}, if_match=first["_etag"])
    with pytest.raises(ETagMismatch):
        c.replace({**first, "v": 3}, if_match=first["_etag"])
    with pytest.raises(ETagMismatch):
        c.upsert({**first, "v": 3}, if_match=first["_etag"])
    assert c.read("a", "p")["v"] == 2


def test_conditional_upsert_of_a_deleted_document_is_an_etag_mismatch(make_container: MakeContainer) -> None:
    c = make_container()
    first = c.create({"id": "a", "pk": "p", "v": 1})
    c.delete("a", "p")
    with pytest.raises(ETagMismatch):
        c.upsert({**first, "v": 2}, if_match=first["_etag"])
    with pytest.raises(DocumentNotFound):
        c.read("a", "p")


def test_replace_of_a_missing_document_is_not_found(make_container: MakeContainer) -> None:
    c = make_container()
    c.create({"id": "other", "pk": "p"})
    with pytest.raises(DocumentNotFound):
        c.replace({"id": "a", "pk": "p"})


def test_delete_honours_if_match(make_container: MakeContainer) -> None:
    c = make_container()
    first = c.create({"id": "a", "pk": "p"})
    second = c.upsert({**first, "v": 2})
    with pytest.raises(ETagMismatch):
        c.delete("a", "p", if_match=first["_etag"])
    c.delete("a", "p", if_match=second["_etag"])
    with pytest.raises(DocumentNotFound):
        c.read("a", "p")
    with pytest.raises(DocumentNotFound):
        c.delete("a", "p")


@pytest.mark.embedded_only(
    "cosmosdb-server reads a nested partition key path (/owner/tenant) as one "
    "top-level property name, so point reads of such documents 404 there"
)
def test_nested_partition_key_path(make_container: MakeContainer) -> None:
    c = make_container("/owner/tenant")
    c.create({"id": "a", "owner": {"tenant": "t1"}})
    assert c.read("a", "t1")["owner"] == {"tenant": "t1"}


def test_documents_without_partition_key_or_with_bad_ids_are_refused(make_container: MakeContainer) -> None:
    c = make_container()
    with pytest.raises(ValueError):
        c.create({"id": "a"})
    with pytest.raises(ValueError):
        c.create({"id": "a/b", "pk": "p"})
    with pytest.raises(ValueError):
        c.create({"pk": "p"})


def test_patch_operations(make_container: MakeContainer) -> None:
    c = make_container()
    c.create({"id": "a", "pk": "p", "stock": {"onHand": 5}, "tags": ["a", "c"], "old": 1, "name": "x"})
    patched = c.patch(
        "a",
        "p",
        [
            PatchOp("incr", "/stock/onHand", -2),
            PatchOp("incr", "/stock/reserved", 3),
            PatchOp("add", "/tags/1", "b"),
            PatchOp("set", "/price", {"amount": "9.99", "currency": "EUR"}),
            PatchOp("replace", "/name", "y"),
            PatchOp("remove", "/old"),
        ],
    )
    assert patched["stock"] == {"onHand": 3, "reserved": 3}
    assert isinstance(patched["stock"]["onHand"], int)
    assert patched["tags"] == ["a", "b", "c"]
    assert patched["price"] == {"amount": "9.99", "currency": "EUR"}
    assert patched["name"] == "y"
    assert "old" not in patched
    assert c.read("a", "p")["stock"]["onHand"] == 3


def test_patch_with_stale_etag_or_missing_document(make_container: MakeContainer) -> None:
    c = make_container()
    first = c.create({"id": "a", "pk": "p", "n": 1})
    c.patch("a", "p", [PatchOp("incr", "/n", 1)], if_match=first["_etag"])
    with pytest.raises(ETagMismatch):
        c.patch("a", "p", [PatchOp("incr", "/n", 1)], if_match=first["_etag"])
    with pytest.raises(DocumentNotFound):
        c.patch("missing", "p", [PatchOp("set", "/n", 1)])
    assert c.read("a", "p")["n"] == 2


def test_patch_needs_one_to_ten_operations(make_container: MakeContainer) -> None:
    c = make_container()
    c.create({"id": "a", "pk": "p", "n": 0})
    with pytest.raises(InvalidPatch):
        c.patch("a", "p", [])
    with pytest.raises(InvalidPatch):
        c.patch("a", "p", [PatchOp("incr", "/n", 1)] * 11)
    assert c.patch("a", "p", [PatchOp("incr", "/n", 1)] * 10)["n"] == 10


def test_patch_of_the_partition_key_or_id_is_refused(make_container: MakeContainer) -> None:
    c = make_container()
    c.create({"id": "a", "pk": "p"})
    with pytest.raises(InvalidPatch):
        c.patch("a", "p", [PatchOp("set", "/pk", "q")])
    with pytest.raises(InvalidPatch):
        c.patch("a", "p", [PatchOp("set", "/id", "b")])


@pytest.mark.embedded_only(
    "cosmosdb-server applies patch operations it should refuse (replace/remove of a "
    "missing path, incr of a string) instead of answering 400 like Cosmos DB"
)
def test_invalid_patch_changes_nothing(make_container: MakeContainer) -> None:
    c = make_container()
    c.create({"id": "a", "pk": "p", "n": 1, "s": "text"})
    for ops in (
        [PatchOp("set", "/n", 2), PatchOp("replace", "/missing", 1)],
        [PatchOp("set", "/n", 2), PatchOp("remove", "/missing")],
        [PatchOp("incr", "/s", 1)],
        [PatchOp("set", "/no/parent", 1)],
    ):
        with pytest.raises(InvalidPatch):
            c.patch("a", "p", ops)
    assert c.read("a", "p")["n"] == 1


def test_returned_documents_are_copies(make_container: MakeContainer) -> None:
    c = make_container()
    doc: dict[str, Any] = {"id": "a", "pk": "p", "items": [1]}
    created = c.create(doc)
    created["items"].append(2)
    doc["items"].append(3)
    assert c.read("a", "p")["items"] == [1]
