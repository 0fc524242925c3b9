"""The embedded store's JSON encoder (orjson with a guard) keeps the stdlib's semantics:
NaN/Infinity refused with ValueError, unsupported types with TypeError, > 64-bit integers and
non-string keys encoded as `json.dumps` does, and the text reads back to the same document."""

from __future__ import annotations

import datetime
import enum
import json
import math
import uuid
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.sqlite_container import encode
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.ports.documents import DocumentNotFound


class Plain(enum.Enum):
    A = "a"


class Text(enum.StrEnum):
    A = "a"


def _stdlib(document: object) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


REFUSED: list[tuple[Any, type[Exception]]] = [
    ({"f": math.nan}, ValueError),
    ({"f": [1, {"x": math.inf}]}, ValueError),
    ({"f": -math.inf, "n": None}, ValueError),
    ({"n": [None, math.nan]}, ValueError),
    ({"at": datetime.datetime(2026, 1, 1)}, TypeError),
    ({"u": uuid.UUID(int=1)}, TypeError),
    ({"e": Plain.A}, TypeError),
    ({"o": object()}, TypeError),
]

ACCEPTED: list[Any] = [
    {"id": "a", "n": None, "t": True, "f": 0.1, "g": 1e16, "h": 1e-7, "z": -0.0, "i": -42},
    {"big": 2**70, "neg": -(2**65)},
    {1: "int key", "k": "v"},
    {"s": Text.A, "tuple": (1, 2)},
    {"text": 'ü\u0001\u2028/\\"€😀', "nested": {"a": [{"b": []}, {}]}},
]


@pytest.mark.parametrize(("document", "error"), REFUSED)
def test_what_the_stdlib_refuses_is_refused_with_its_error(document: Any, error: type[Exception]) -> None:
    with pytest.raises(error):
        _stdlib(document)
    with pytest.raises(error):
        encode(document)


@pytest.mark.parametrize("document", ACCEPTED)
def test_what_the_stdlib_accepts_reads_back_as_the_stdlib_text_does(document: Any) -> None:
    text, copy = encode(document)
    assert json.loads(text) == json.loads(_stdlib(document)) == copy
    assert copy is not document


def test_order_sized_documents_keep_the_stdlib_bytes() -> None:
    doc = {
        "id": "o1",
        "status": "confirmed",
        "lines": [{"sku": f"SKU-{i}", "qty": 2, "unitPrice": 19.99, "discount": None} for i in range(3)],
        "address": {"city": "Zürich", "line2": None},
        "version": 7,
    }
    assert encode(doc)[0] == _stdlib(doc)


def test_a_nan_write_changes_nothing_and_a_written_copy_is_not_aliased(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "documents.db")
    try:
        c = store.container("things", "/pk")
        with pytest.raises(ValueError):
            c.create({"id": "a", "pk": "p", "score": math.nan})
        with pytest.raises(DocumentNotFound):
            c.read("a", "p")
        doc = {"id": "b", "pk": "p", "tags": ["x"]}
        written = c.create(doc)
        written["tags"].append("y")
        assert doc == {"id": "b", "pk": "p", "tags": ["x"]}
        assert c.read("b", "p")["tags"] == ["x"]
    finally:
        store.close()
