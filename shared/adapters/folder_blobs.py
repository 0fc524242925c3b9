"""Embedded blob store: a folder per container under the data dir.

Layout: `<root>/<container>/data/<key>` holds the bytes and `<root>/<container>/meta/<key>.json`
the name, ETag, content type and timestamp. `<key>` is the percent-encoded name (a hash for long
names): flat files, because Azure allows both `a` and `a/b` as blobs, which nested folders cannot.
Writes go to a temp file then `os.replace`, so readers never see half a blob; an exclusive
`flock` per container (plus a thread lock) makes the ETag check-and-write atomic across threads
and devhost processes.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from shared.ports.blobs import (
    Blob,
    BlobContainer,
    BlobNotFound,
    BlobPreconditionFailed,
    BlobProperties,
    BlobStore,
)

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: one process per data dir is then required
    fcntl = None  # type: ignore[assignment]

_CONTAINER_NAME = re.compile(r"^[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62}$")  # Azure's container rule


def _validate_name(name: str) -> str:
    parts = name.split("/")
    if not name or len(name) > 1024 or "\\" in name or any(p in ("", ".", "..") for p in parts):
        raise ValueError(f"invalid blob name {name!r}")
    return name


def _key(name: str) -> str:
    encoded = quote(_validate_name(name), safe="")
    return encoded if len(encoded) <= 200 else "~" + hashlib.sha256(name.encode()).hexdigest()


class FolderBlobContainer(BlobContainer):
    def __init__(self, root: Path, name: str) -> None:
        self.name = name
        self._data = root / name / "data"
        self._meta = root / name / "meta"
        self._data.mkdir(parents=True, exist_ok=True)
        self._meta.mkdir(parents=True, exist_ok=True)
        self._lock_path = root / name / ".lock"
        self._thread_lock = threading.Lock()

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._thread_lock, open(self._lock_path, "a+b") as handle:
            if fcntl is not None:
                fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
            yield  # closing the handle releases the flock

    def _read_meta(self, name: str) -> BlobProperties | None:
        try:
            raw = json.loads((self._meta / f"{_key(name)}.json").read_text())
        except FileNotFoundError:
            return None
        return self._props(raw)

    @staticmethod
    def _props(raw: dict[str, Any]) -> BlobProperties:
        return BlobProperties(
            name=raw["name"],
            etag=raw["etag"],
            size=raw["size"],
            content_type=raw["contentType"],
            last_modified=datetime.fromisoformat(raw["lastModified"]),
        )

    @staticmethod
    def _atomic_write(path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def put(
        self,
        name: str,
        data: bytes,
        *,
        content_type: str = "application/octet-stream",
        if_match: str | None = None,
        if_none_match: str | None = None,
    ) -> BlobProperties:
        _validate_name(name)
        if if_none_match not in (None, "*"):
            raise ValueError('if_none_match supports "*" only')
        with self._locked():
            current = self._read_meta(name)
            if if_match is not None and (current is None or current.etag != if_match):
                raise BlobPreconditionFailed(name)
            if if_none_match == "*" and current is not None:
                raise BlobPreconditionFailed(name)
            props = BlobProperties(
                name=name,
                etag=f'"0x{uuid.uuid4().hex[:16].upper()}"',
                size=len(data),
                content_type=content_type,
                last_modified=datetime.now(UTC),
            )
            meta = {
                "name": name,
                "etag": props.etag,
                "size": props.size,
                "contentType": content_type,
                "lastModified": props.last_modified.isoformat(),
            }
            # Data first, then meta: the meta file is what makes the new version visible.
            self._atomic_write(self._data / _key(name), data)
            self._atomic_write(self._meta / f"{_key(name)}.json", json.dumps(meta).encode())
            return props

    def get(self, name: str) -> Blob:
        with self._locked():
            props = self._read_meta(name)
            if props is None:
                raise BlobNotFound(name)
            return Blob(properties=props, data=(self._data / _key(name)).read_bytes())

    def get_properties(self, name: str) -> BlobProperties:
        props = self._read_meta(name)
        if props is None:
            raise BlobNotFound(name)
        return props

    def list(self, prefix: str = "") -> list[BlobProperties]:
        found: list[BlobProperties] = []
        for path in self._meta.glob("*.json"):
            try:
                props = self._props(json.loads(path.read_text()))
            except FileNotFoundError:  # deleted while listing
                continue
            if props.name.startswith(prefix):
                found.append(props)
        return sorted(found, key=lambda p: p.name)

    def delete(self, name: str, *, if_match: str | None = None) -> None:
        with self._locked():
            current = self._read_meta(name)
            if current is None:
                raise BlobNotFound(name)
            if if_match is not None and current.etag != if_match:
                raise BlobPreconditionFailed(name)
            (self._meta / f"{_key(name)}.json").unlink()
            (self._data / _key(name)).unlink(missing_ok=True)


class FolderBlobStore(BlobStore):
    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._containers: dict[str, FolderBlobContainer] = {}
        self._lock = threading.Lock()

    def container(self, name: str) -> BlobContainer:
        if not _CONTAINER_NAME.match(name):
            raise ValueError(f"invalid container name {name!r}: Azure rules (3-63 lowercase, digits, -)")
        with self._lock:
            if name not in self._containers:
                self._containers[name] = FolderBlobContainer(self.root, name)
            return self._containers[name]

    def health(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        if not os.access(self.root, os.W_OK):
            raise OSError(f"blob folder {self.root} is not writable")
