"""The SQLite adapter's memo of compiled queries must not confuse filter values that Python
calls equal but Cosmos does not: True == 1, False == 0 (and so (True,) == (1,))."""

from __future__ import annotations

from pathlib import Path

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.ports.documents import Filter, Query


def test_a_boolean_filter_and_a_number_filter_are_compiled_apart(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "d.db")
    things = store.container("things", "/pk", indexes=("flag",))
    things.create({"id": "one", "pk": "p", "flag": 1})
    things.create({"id": "true", "pk": "p", "flag": True})
    things.create({"id": "zero", "pk": "p", "flag": 0})
    things.create({"id": "false", "pk": "p", "flag": False})

    def ids(value: object, op: str = "=") -> list[str]:
        page = things.query(Query(where=(Filter("flag", op, value),)))  # type: ignore[arg-type]
        return sorted(d["id"] for d in page.items)

    for _ in range(2):  # the second round answers from the memo
        assert ids(1) == ["one"]
        assert ids(True) == ["true"]
        assert ids(0) == ["zero"]
        assert ids(False) == ["false"]
        assert ids((1,), "in") == ["one"]
        assert ids((True,), "in") == ["true"]
    store.close()
