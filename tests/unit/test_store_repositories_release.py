"""The per-store repositories that catalog and inventory keep must not keep their store alive:
a dropped store (every test's) is freed with its connections."""

from __future__ import annotations

import gc
import weakref
from pathlib import Path

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.catalog import service as catalog
from shared.inventory import service as inventory


def test_a_dropped_store_is_freed_with_its_repositories(tmp_path: Path) -> None:
    store = SqliteDocumentStore(tmp_path / "d.db")
    first = catalog._repo(store), inventory._repo(store)
    assert (catalog._repo(store), inventory._repo(store)) == first  # one each per store
    gone = weakref.ref(store)
    del store, first
    gc.collect()
    assert gone() is None, "a repository kept its store alive"
