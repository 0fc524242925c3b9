"""Adapters for the contract suites: every test taking `docs` / `blobs` runs once per adapter.

The Azure-side adapters talk to the stand-in servers that `tests/servers/run.py` starts (and
announces in SC_TEST_* variables). Run through the launcher (as `make test` does) a missing server
is a failure; run with plain pytest they are skipped with the reason shown.

Opt-in: with `COSMOS_TEST_ENDPOINT` set (a real account or the official emulator; docs/storage.md,
"Contract run against real Cosmos DB") every document contract case also runs on it as
`cosmos-real`; the paging contract always lists that case and skips it, with the reason, when the
variable is absent.

`@pytest.mark.embedded_only("why")` on a test drops the Cosmos parametrization: used where
cosmosdb-server cannot stand in for Cosmos DB (batch atomicity, ...), so the case is visibly
covered by the embedded adapter only instead of silently passing on a skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shared.adapters.folder_blobs import FolderBlobStore
from shared.adapters.sqlite_documents import SqliteDocumentStore
from shared.ports.blobs import BlobStore
from shared.ports.documents import Container, DocumentStore

REAL_COSMOS_ENV = "COSMOS_TEST_ENDPOINT"
DOCUMENT_ADAPTERS = ("sqlite", "cosmos") + (("cosmos-real",) if os.environ.get(REAL_COSMOS_ENV) else ())
BLOB_ADAPTERS = ("folder", "azurite")


def pytest_configure(config: pytest.Config) -> None:
    # cosmosdb-server's certificate is self-signed: the adapter runs with COSMOS_VERIFY_TLS=false.
    config.addinivalue_line("filterwarnings", "ignore:Unverified HTTPS request")
    config.addinivalue_line(
        "markers", "embedded_only(reason): contract case the Azure stand-in cannot run; embedded adapter only"
    )


def pytest_terminal_summary(terminalreporter: Any) -> None:
    """Say it when the opt-in real-Cosmos cases were skipped, in every run's summary."""
    skipped = terminalreporter.stats.get("skipped", [])
    if any(REAL_COSMOS_ENV in str(getattr(r, "longrepr", "")) for r in skipped):
        terminalreporter.write_line(
            f"cosmos-real contract cases skipped: {REAL_COSMOS_ENV} not set (opt-in; docs/storage.md)"
        )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    embedded_only = metafunc.definition.get_closest_marker("embedded_only")
    if embedded_only is not None and not embedded_only.args:
        raise pytest.UsageError(f"{metafunc.definition.nodeid}: embedded_only needs the reason")
    if "docs" in metafunc.fixturenames:
        adapters = ("sqlite",) if embedded_only else DOCUMENT_ADAPTERS
        metafunc.parametrize("docs", adapters, indirect=True)
    if "blobs" in metafunc.fixturenames:
        metafunc.parametrize("blobs", ("folder",) if embedded_only else BLOB_ADAPTERS, indirect=True)


def _server_env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        message = f"{name} is not set: run through `python -m tests.servers.run -- pytest ...`"
        if os.environ.get("SC_TEST_SERVERS") == "required":
            pytest.fail(message)
        pytest.skip(message)
    return value


@pytest.fixture(scope="session")
def cosmos_store() -> DocumentStore:
    from shared.adapters.cosmos_documents import CosmosDocumentStore
    from shared.settings import Settings

    settings = Settings(
        cosmos_endpoint=_server_env("SC_TEST_COSMOS_ENDPOINT"),
        cosmos_key=_server_env("SC_TEST_COSMOS_KEY"),
        cosmos_verify_tls=False,
        cosmos_database=f"contract-{uuid.uuid4().hex[:8]}",
        cosmos_timeout_seconds=120,  # the stand-in is slow on a loaded machine
    )
    return CosmosDocumentStore.from_settings(settings)


@pytest.fixture(scope="session")
def real_cosmos_store() -> DocumentStore:
    """A real Cosmos DB account or the official emulator, opted into with COSMOS_TEST_ENDPOINT and
    COSMOS_TEST_KEY (the account key, or the emulator's published key); COSMOS_TEST_VERIFY_TLS=false
    for the emulator's self-signed certificate. Creates a throwaway database `contract-<random>`."""
    from shared.adapters.cosmos_documents import CosmosDocumentStore
    from shared.settings import Settings

    endpoint, key = os.environ.get(REAL_COSMOS_ENV, ""), os.environ.get("COSMOS_TEST_KEY", "")
    if not endpoint or not key:
        pytest.skip(
            f"{REAL_COSMOS_ENV} / COSMOS_TEST_KEY not set: the opt-in run against a real account or the "
            "emulator is off (docs/storage.md)"
        )
    settings = Settings(
        cosmos_endpoint=endpoint,
        cosmos_key=key,
        cosmos_verify_tls=os.environ.get("COSMOS_TEST_VERIFY_TLS", "true").lower() != "false",
        cosmos_database=f"contract-{uuid.uuid4().hex[:8]}",
        cosmos_timeout_seconds=60,
    )
    return CosmosDocumentStore.from_settings(settings)


@pytest.fixture
def docs(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[DocumentStore]:
    if request.param == "sqlite":
        store = SqliteDocumentStore(tmp_path / "documents.db")
        yield store
        store.close()
    elif request.param == "cosmos-real":
        yield request.getfixturevalue("real_cosmos_store")
    else:
        yield request.getfixturevalue("cosmos_store")


@pytest.fixture
def make_container(docs: DocumentStore) -> Callable[..., Container]:
    """A fresh container per call (unique name: the Cosmos stand-in lives for the session)."""

    def make(partition_key_path: str = "/pk", indexes: tuple[str, ...] = ()) -> Container:
        return docs.container(f"t{uuid.uuid4().hex[:12]}", partition_key_path, indexes=indexes)

    return make


@pytest.fixture(scope="session")
def azurite_connection_string() -> str:
    return _server_env("SC_TEST_AZURITE_CONNECTION_STRING")


@pytest.fixture
def blobs(request: pytest.FixtureRequest, tmp_path: Path) -> BlobStore:
    if request.param == "folder":
        return FolderBlobStore(tmp_path / "blobs")
    from shared.adapters.azure_blobs import AzureBlobStore

    return AzureBlobStore.from_connection_string(request.getfixturevalue("azurite_connection_string"))
