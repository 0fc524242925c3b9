"""Blob store contract on every adapter (the folder and Azurite)."""

from __future__ import annotations

import uuid

import pytest

from shared.ports.blobs import BlobContainer, BlobNotFound, BlobPreconditionFailed, BlobStore


@pytest.fixture
def box(blobs: BlobStore) -> BlobContainer:
    return blobs.container(f"c{uuid.uuid4().hex[:12]}")


def test_put_get_round_trip_with_content_type(box: BlobContainer) -> None:
    props = box.put("models/fraud/v1.onnx", b"\x00\x01binary", content_type="application/octet-stream")
    assert props.etag and props.size == 8
    blob = box.get("models/fraud/v1.onnx")
    assert blob.data == b"\x00\x01binary"
    assert blob.properties.etag == props.etag
    assert blob.properties.content_type == "application/octet-stream"
    box.put("images/p1.png", b"png", content_type="image/png")
    assert box.get_properties("images/p1.png").content_type == "image/png"


def test_overwrite_changes_the_etag(box: BlobContainer) -> None:
    first = box.put("a.txt", b"one", content_type="text/plain")
    second = box.put("a.txt", b"one", content_type="text/plain")
    assert first.etag != second.etag
    assert box.get("a.txt").properties.etag == second.etag


def test_if_match_guards_overwrite(box: BlobContainer) -> None:
    first = box.put("a.txt", b"one")
    second = box.put("a.txt", b"two", if_match=first.etag)
    with pytest.raises(BlobPreconditionFailed):
        box.put("a.txt", b"three", if_match=first.etag)
    assert box.get("a.txt").data == b"two"
    with pytest.raises(BlobPreconditionFailed):
        box.put("never-written.txt", b"x", if_match=second.etag)


def test_if_none_match_star_creates_only(box: BlobContainer) -> None:
    box.put("once.txt", b"first", if_none_match="*")
    with pytest.raises(BlobPreconditionFailed):
        box.put("once.txt", b"second", if_none_match="*")
    assert box.get("once.txt").data == b"first"


def test_missing_blobs_are_not_found(box: BlobContainer) -> None:
    with pytest.raises(BlobNotFound):
        box.get("nope")
    with pytest.raises(BlobNotFound):
        box.get_properties("nope")
    with pytest.raises(BlobNotFound):
        box.delete("nope")


def test_list_by_prefix_sorted_by_name(box: BlobContainer) -> None:
    for name in ("models/b.onnx", "models/a.onnx", "images/x.png", "models-old/z", "models/sub/c.onnx"):
        box.put(name, name.encode())
    assert [p.name for p in box.list("models/")] == ["models/a.onnx", "models/b.onnx", "models/sub/c.onnx"]
    assert [p.name for p in box.list()] == [
        "images/x.png",
        "models-old/z",
        "models/a.onnx",
        "models/b.onnx",
        "models/sub/c.onnx",
    ]
    assert box.list("none/") == []
    assert box.list("models/a")[0].size == len(b"models/a.onnx")


def test_a_name_can_be_both_a_blob_and_a_folder(box: BlobContainer) -> None:
    box.put("a", b"file")
    box.put("a/b", b"nested")
    assert box.get("a").data == b"file"
    assert box.get("a/b").data == b"nested"


def test_delete_honours_if_match(box: BlobContainer) -> None:
    first = box.put("a.txt", b"one")
    second = box.put("a.txt", b"two")
    with pytest.raises(BlobPreconditionFailed):
        box.delete("a.txt", if_match=first.etag)
    box.delete("a.txt", if_match=second.etag)
    with pytest.raises(BlobNotFound):
        box.get("a.txt")
    assert box.list() == []


def test_container_is_reused_and_health_passes(blobs: BlobStore) -> None:
    name = f"c{uuid.uuid4().hex[:12]}"
    blobs.container(name).put("x", b"1")
    assert blobs.container(name).get("x").data == b"1"
    blobs.health()
