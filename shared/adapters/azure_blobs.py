"""Azure blob store: azure-storage-blob, one `BlobServiceClient` per process.

Identity-based on `STORAGE__blobServiceUri` (DefaultAzureCredential) in Azure; a connection
string only for Azurite in development (the settings refuse it in production). ETag conditions map
to the SDK's `etag` + `match_condition`; the SDK's errors map to the port's.
"""

from __future__ import annotations

import contextlib
import threading
from typing import TYPE_CHECKING, Any

from azure.core import MatchConditions
from azure.core.exceptions import ResourceExistsError, ResourceModifiedError, ResourceNotFoundError
from azure.storage.blob import BlobServiceClient, ContainerClient, ContentSettings

from shared.ports.blobs import (
    Blob,
    BlobContainer,
    BlobNotFound,
    BlobPreconditionFailed,
    BlobProperties,
    BlobStore,
)

if TYPE_CHECKING:
    from shared.settings import Settings


def _props(name: str, raw: Any) -> BlobProperties:
    settings = raw.content_settings
    return BlobProperties(
        name=name,
        etag=raw.etag,
        size=raw.size,
        content_type=(settings.content_type if settings else None) or "application/octet-stream",
        last_modified=raw.last_modified,
    )


class AzureBlobContainer(BlobContainer):
    def __init__(self, client: ContainerClient, name: str) -> None:
        self.client = client
        self.name = name

    def put(
        self,
        name: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_match: str | None = None,
        if_none_match: str | None = None,
    ) -> BlobProperties:
        if if_none_match not in (None, "*"):
            raise ValueError('if_none_match supports "*" only')
        blob = self.client.get_blob_client(name)
        kwargs: dict[str, Any] = {"overwrite": if_none_match != "*"}
        if if_match is not None:
            kwargs.update(etag=if_match, match_condition=MatchConditions.IfNotModified)
        try:
            blob.upload_blob(data, content_settings=ContentSettings(content_type=content_type), **kwargs)
        except (ResourceModifiedError, ResourceExistsError):
            raise BlobPreconditionFailed(name) from None
        except ResourceNotFoundError:
            # If-Match on a missing blob: the condition did not hold (the folder adapter agrees).
            raise BlobPreconditionFailed(name) from None
        return _props(name, blob.get_blob_properties())

    def get(self, name: str) -> Blob:
        try:
            downloader = self.client.download_blob(name)
            data = downloader.readall()
        except ResourceNotFoundError:
            raise BlobNotFound(name) from None
        return Blob(properties=_props(name, downloader.properties), data=data)

    def get_properties(self, name: str) -> BlobProperties:
        try:
            return _props(name, self.client.get_blob_client(name).get_blob_properties())
        except ResourceNotFoundError:
            raise BlobNotFound(name) from None

    def list(self, prefix: str = "") -> list[BlobProperties]:
        found = [_props(b.name, b) for b in self.client.list_blobs(name_starts_with=prefix or None)]
        return sorted(found, key=lambda p: p.name)

    def delete(self, name: str, *, if_match: str | None = None) -> None:
        kwargs: dict[str, Any] = {}
        if if_match is not None:
            kwargs.update(etag=if_match, match_condition=MatchConditions.IfNotModified)
        try:
            self.client.delete_blob(name, **kwargs)
        except ResourceNotFoundError:
            raise BlobNotFound(name) from None
        except ResourceModifiedError:
            raise BlobPreconditionFailed(name) from None


class AzureBlobStore(BlobStore):
    def __init__(self, service: BlobServiceClient) -> None:
        self.service = service
        self._containers: dict[str, AzureBlobContainer] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings) -> AzureBlobStore:
        if settings.blob_connection_string:
            return cls.from_connection_string(settings.blob_connection_string)
        if not settings.blob_service_uri:
            raise ValueError("STORAGE__blobServiceUri is required for the Azure blob store")
        from azure.identity import DefaultAzureCredential

        return cls(BlobServiceClient(settings.blob_service_uri, credential=DefaultAzureCredential()))

    @classmethod
    def from_connection_string(cls, connection_string: str) -> AzureBlobStore:
        return cls(BlobServiceClient.from_connection_string(connection_string))

    def container(self, name: str) -> BlobContainer:
        with self._lock:
            if name not in self._containers:
                client = self.service.get_container_client(name)
                with contextlib.suppress(ResourceExistsError):
                    client.create_container()
                self._containers[name] = AzureBlobContainer(client, name)
            return self._containers[name]

    def health(self) -> None:
        # Cheap, and allowed to a data-plane role: list at most one container.
        next(iter(self.service.list_containers(results_per_page=1)), None)
