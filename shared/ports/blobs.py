"""Blob store port (model files, product images): what Blob Storage gives us, nothing more."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime


class BlobNotFound(Exception):
    """The blob does not exist."""


class BlobPreconditionFailed(Exception):
    """An `if_match` / `if_none_match` condition did not hold."""


@dataclass(frozen=True)
class BlobProperties:
    name: str
    etag: str
    size: int
    content_type: str
    last_modified: datetime


@dataclass(frozen=True)
class Blob:
    properties: BlobProperties
    data: bytes


class BlobContainer(ABC):
    """One container. Names may contain `/` (virtual folders). ETags are opaque strings."""

    name: str

    @abstractmethod
    def put(
        self,
        name: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_match: str | None = None,
        if_none_match: str | None = None,
    ) -> BlobProperties:
        """Create or overwrite. `if_match=etag`: only if unchanged; `if_none_match="*"`: only if absent."""

    @abstractmethod
    def get(self, name: str) -> Blob: ...

    @abstractmethod
    def get_properties(self, name: str) -> BlobProperties: ...

    @abstractmethod
    def list(self, prefix: str = "") -> list[BlobProperties]:
        """Blobs whose name starts with `prefix`, sorted by name."""

    @abstractmethod
    def delete(self, name: str, *, if_match: str | None = None) -> None: ...


class BlobStore(ABC):
    @abstractmethod
    def container(self, name: str) -> BlobContainer:
        """The container `name`, created if needed (once per process)."""

    def health(self) -> None:  # noqa: B027 - optional override
        """Raise if the store cannot be reached."""
