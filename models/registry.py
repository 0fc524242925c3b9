"""Model registry in the blob store (container "models"); no scikit-learn, so serving may use it.

Layout per model:
    <name>/<version>/model.onnx       the graph (written first)
    <name>/<version>/metadata.json    metrics, data window, features, hashes, params, parity
                                      (written last: a version exists once this blob does)
    <name>/<version>/evaluation.json  the challenger evaluation, when one ran
    <name>/champion.json              {version, previous: [...], promotedAt, reason}: the live
                                      version; replaced only with an ETag condition, so two
                                      concurrent promotions cannot silently overwrite each other.
Versions are `YYYYMMDDTHHMMSSffffff-<sha8>`: sortable by time, tied to the bytes.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from models.artifact import ModelArtifact
from shared.ports.blobs import BlobContainer, BlobNotFound, BlobPreconditionFailed

CONTAINER = "models"
MAX_HISTORY = 20


class RegistryError(Exception):
    """Base of the registry's errors."""


class UnverifiedModel(RegistryError):
    """The artifact did not pass its parity check: it may not be registered."""


class VersionNotFound(RegistryError):
    pass


class NoPreviousChampion(RegistryError):
    pass


class ConcurrentUpdate(RegistryError):
    """The champion pointer changed between read and write; re-read and retry."""


@dataclass(frozen=True)
class ChampionPointer:
    version: str
    previous: tuple[str, ...]
    promoted_at: str
    reason: str
    etag: str


# Champion changes made by this process (seed, an in-process retraining activity), per model:
# runtimes compare it with what they last saw and re-check the pointer on their next call instead
# of waiting out their refresh interval. Other processes still learn of a change by ETag polling.
_local_pointer_writes: dict[str, int] = {}


def local_pointer_writes(name: str) -> int:
    return _local_pointer_writes.get(name, 0)


def _json(data: dict[str, Any]) -> bytes:
    return json.dumps(data, indent=2, sort_keys=True).encode()


class ModelRegistry:
    def __init__(self, container: BlobContainer, *, now: Callable[[], datetime] = lambda: datetime.now(UTC)):
        self._blobs = container
        self._now = now

    # --- versions -------------------------------------------------------------------------------
    def register(self, artifact: ModelArtifact) -> str:
        """Store a parity-checked artifact as a new version; returns the version."""
        parity = artifact.metadata.get("parity") or {}
        if parity.get("passed") is not True:
            raise UnverifiedModel(f"{artifact.name}: parity check missing or failed; refusing to register")
        created = self._now()
        version = f"{created:%Y%m%dT%H%M%S%f}-{artifact.sha256[:8]}"
        metadata = {
            **artifact.metadata,
            "model": artifact.name,
            "version": version,
            "createdAt": created.isoformat(),
            "sha256": {"model.onnx": artifact.sha256},
        }
        prefix = f"{artifact.name}/{version}/"
        self._blobs.put(prefix + "model.onnx", artifact.onnx, if_none_match="*")
        self._blobs.put(
            prefix + "metadata.json", _json(metadata), content_type="application/json", if_none_match="*"
        )
        return version

    def metadata(self, name: str, version: str) -> dict[str, Any]:
        try:
            return dict(json.loads(self._blobs.get(f"{name}/{version}/metadata.json").data))
        except BlobNotFound:
            raise VersionNotFound(f"{name}/{version}") from None

    def load_onnx(self, name: str, version: str) -> bytes:
        """The graph's bytes, checked against the hash recorded at registration."""
        meta = self.metadata(name, version)
        data = self._blobs.get(f"{name}/{version}/model.onnx").data
        if hashlib.sha256(data).hexdigest() != meta["sha256"]["model.onnx"]:
            raise RegistryError(f"{name}/{version}: model.onnx does not match its recorded sha256")
        return data

    def versions(self, name: str) -> list[str]:
        """Registered versions, oldest first."""
        return [
            b.name.split("/")[1]
            for b in self._blobs.list(f"{name}/")
            if b.name.endswith("/metadata.json") and b.name.count("/") == 2
        ]

    def model_names(self) -> list[str]:
        return sorted({b.name.split("/")[0] for b in self._blobs.list() if b.name.endswith("/metadata.json")})

    def save_evaluation(self, name: str, version: str, evaluation: dict[str, Any]) -> None:
        self._blobs.put(
            f"{name}/{version}/evaluation.json", _json(evaluation), content_type="application/json"
        )

    def evaluation(self, name: str, version: str) -> dict[str, Any] | None:
        try:
            return dict(json.loads(self._blobs.get(f"{name}/{version}/evaluation.json").data))
        except BlobNotFound:
            return None

    # --- the champion ---------------------------------------------------------------------------
    def champion(self, name: str) -> ChampionPointer | None:
        try:
            blob = self._blobs.get(f"{name}/champion.json")
        except BlobNotFound:
            return None
        doc = json.loads(blob.data)
        return ChampionPointer(
            doc["version"],
            tuple(doc.get("previous", ())),
            doc.get("promotedAt", ""),
            doc.get("reason", ""),
            blob.properties.etag,
        )

    def champion_etag(self, name: str) -> str | None:
        """The pointer's ETag alone (a HEAD request): cheap enough to poll."""
        try:
            return self._blobs.get_properties(f"{name}/champion.json").etag
        except BlobNotFound:
            return None

    def promote(
        self, name: str, version: str, *, reason: str = "promoted", expected: ChampionPointer | None = None
    ) -> ChampionPointer:
        """Make `version` the champion. `expected`: the pointer the caller decided on (else re-read)."""
        self.metadata(name, version)  # must exist (and therefore have passed parity)
        current = expected if expected is not None else self.champion(name)
        previous: tuple[str, ...] = ()
        if current is not None and current.version != version:
            previous = (current.version, *current.previous)[:MAX_HISTORY]
        elif current is not None:
            previous = current.previous
        return self._write_pointer(name, version, previous, reason, current)

    def rollback(self, name: str) -> ChampionPointer:
        """Back to the champion before the current one."""
        current = self.champion(name)
        if current is None or not current.previous:
            raise NoPreviousChampion(f"{name}: no earlier champion to roll back to")
        return self._write_pointer(name, current.previous[0], current.previous[1:], "rollback", current)

    def _write_pointer(
        self, name: str, version: str, previous: tuple[str, ...], reason: str, current: ChampionPointer | None
    ) -> ChampionPointer:
        promoted_at = self._now().isoformat()
        body = _json(
            {"version": version, "previous": list(previous), "promotedAt": promoted_at, "reason": reason}
        )
        try:
            if current is None:
                props = self._blobs.put(
                    f"{name}/champion.json", body, content_type="application/json", if_none_match="*"
                )
            else:
                props = self._blobs.put(
                    f"{name}/champion.json", body, content_type="application/json", if_match=current.etag
                )
        except BlobPreconditionFailed:
            raise ConcurrentUpdate(f"{name}: the champion changed meanwhile") from None
        _local_pointer_writes[name] = _local_pointer_writes.get(name, 0) + 1
        return ChampionPointer(version, previous, promoted_at, reason, props.etag)
