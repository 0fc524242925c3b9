"""Users unit tests run the service over the real SQLite document store."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.users import roles
from shared.users.service import forget_known_users


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteDocumentStore]:
    forget_known_users()
    roles.forget()
    yield SqliteDocumentStore(tmp_path / "documents.db")
    forget_known_users()
    roles.forget()
