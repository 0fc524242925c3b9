"""Azure document store: Cosmos DB (NoSQL API) through the azure-cosmos sync SDK.

One `CosmosClient` per process (it holds the connection pool, the token cache and the region
map). Identity-based by default (DefaultAzureCredential on `COSMOS__accountEndpoint`); a key only
when COSMOS_KEY is set, which the settings refuse outside development (emulator/cosmosdb-server).
With an identity, data-plane RBAC cannot create databases or containers, so infra/ creates them
and this adapter only opens them; with a key it creates them as devhost's SQLite store does.

Throttling (429) is retried by the SDK, honouring the server's retry-after, up to
`COSMOS_THROTTLE_RETRIES` times or `COSMOS_THROTTLE_WAIT_SECONDS` in total (below the SDK's
defaults of 9 / 30 s, which would hold an HTTP request half a minute), and every call is bounded
by `COSMOS_TIMEOUT_SECONDS` (retries included; settings keeps it below the Functions invocation
timeout). Past either, the adapter raises `StoreBusy` (the API answers 503). Every response's RU
charge is logged at debug level so expensive queries show up in traces.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from azure.cosmos import CosmosClient, PartitionKey
from azure.cosmos.exceptions import CosmosHttpResponseError

from shared.adapters.cosmos_container import CosmosContainer, ru_logger
from shared.adapters.index_policy import composites_for, cosmos_indexing_policy
from shared.ports.documents import Container, DocumentStore

if TYPE_CHECKING:
    from shared.settings import Settings


class CosmosDocumentStore(DocumentStore):
    def __init__(
        self,
        client: CosmosClient,
        database: str,
        *,
        manage_resources: bool,
        timeout_seconds: float | None = None,
    ) -> None:
        self.client = client
        self.timeout_seconds = timeout_seconds
        self.manage_resources = manage_resources  # create database/containers (key auth only)
        if manage_resources:
            self.database = client.create_database_if_not_exists(id=database)
        else:
            self.database = client.get_database_client(database)
        self._containers: dict[str, CosmosContainer] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, *, transport: Any = None) -> CosmosDocumentStore:
        """`transport`: an azure-core transport for the SDK's pipeline (tests put a fake gateway there)."""
        if not settings.cosmos_endpoint:
            raise ValueError("COSMOS__accountEndpoint is required for the Cosmos document store")
        options: dict[str, Any] = {
            "retry_throttle_total": settings.cosmos_throttle_retries,
            "retry_throttle_backoff_max": settings.cosmos_throttle_wait_seconds,
            "consistency_level": "Session",
        }
        if transport is not None:
            options["transport"] = transport
        if settings.cosmos_key:
            options["connection_verify"] = settings.cosmos_verify_tls
            if not settings.cosmos_verify_tls:
                # Development stand-ins use self-signed certs; the settings refuse this in production.
                warnings.filterwarnings("ignore", message="Unverified HTTPS request")
            client = CosmosClient(settings.cosmos_endpoint, credential=settings.cosmos_key, **options)
            return cls(
                client,
                settings.cosmos_database,
                manage_resources=True,
                timeout_seconds=settings.cosmos_timeout_seconds,
            )
        from azure.identity import DefaultAzureCredential

        client = CosmosClient(settings.cosmos_endpoint, credential=DefaultAzureCredential(), **options)
        return cls(
            client,
            settings.cosmos_database,
            manage_resources=False,
            timeout_seconds=settings.cosmos_timeout_seconds,
        )

    def container(self, name: str, partition_key_path: str, *, indexes: Sequence[str] = ()) -> Container:
        # `indexes`: Cosmos' policy indexes every path for filters; sorts need composites.
        with self._lock:
            existing = self._containers.get(name)
            if existing is not None and existing.partition_key_path == partition_key_path:
                return existing
            # Declared sorts (infra/containers.json): Bicep creates them in Azure; here only for
            # containers this adapter creates itself, and for the query check.
            composites = composites_for(name, indexes)
            if self.manage_resources:
                proxy = self.database.create_container_if_not_exists(
                    id=name,
                    partition_key=PartitionKey(path=partition_key_path),
                    indexing_policy=cosmos_indexing_policy(composites),
                )
                declared = proxy.read().get("partitionKey", {}).get("paths", [partition_key_path])
                if declared != [partition_key_path]:
                    raise ValueError(f"container {name} exists with partition key {declared}")
            else:
                proxy = self.database.get_container_client(name)
            created = CosmosContainer(
                proxy,
                name,
                partition_key_path,
                standin_workarounds=self.manage_resources,  # key auth: development stand-ins only
                timeout_seconds=self.timeout_seconds,
            )
            created.composites = composites
            self._containers[name] = created
            return created

    def health(self) -> None:
        try:
            self.database.read(response_hook=ru_logger("health"))
        except CosmosHttpResponseError as exc:
            raise ConnectionError(f"cosmos unavailable: HTTP {exc.status_code}") from None
