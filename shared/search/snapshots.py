"""Index snapshots in the blob store: `search-index/snapshots/<id>.tar` + `latest.json`.

`latest.json` names the newest complete snapshot and the change-log watermark it was taken at; it
is written after the snapshot blob, so a reader never sees a pointer to a half-written snapshot.
A worker starts from it (load, then catch up on the change log since the watermark) and checks it
now and then, so a rebuild done by any worker reaches all of them. The last KEEP snapshots are
kept (a worker may still be downloading the previous one); older ones are deleted.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from typing import Any

from shared.ports.blobs import BlobContainer, BlobNotFound, BlobStore

CONTAINER = "search-index"
POINTER = "latest.json"
PREFIX = "snapshots/"
KEEP = 3


@dataclass(frozen=True)
class SnapshotInfo:
    snapshot_id: str
    watermark: str
    products: int
    built_at: str

    def to_json(self) -> dict[str, Any]:
        return {
            "snapshotId": self.snapshot_id,
            "watermark": self.watermark,
            "products": self.products,
            "builtAt": self.built_at,
        }


class SnapshotStore:
    def __init__(self, blobs: BlobStore) -> None:
        self.container: BlobContainer = blobs.container(CONTAINER)

    def latest(self) -> SnapshotInfo | None:
        """The pointer, or None when there is none or it is unreadable (then: rebuild)."""
        try:
            data = json.loads(self.container.get(POINTER).data)
            return SnapshotInfo(
                str(data["snapshotId"]), str(data["watermark"]), int(data["products"]), str(data["builtAt"])
            )
        except (BlobNotFound, ValueError, KeyError, TypeError):
            return None

    def read(self, info: SnapshotInfo) -> bytes:
        """BlobNotFound if the snapshot the pointer names is gone."""
        return self.container.get(f"{PREFIX}{info.snapshot_id}.tar").data

    def write(self, info: SnapshotInfo, data: bytes) -> None:
        self.container.put(f"{PREFIX}{info.snapshot_id}.tar", data, content_type="application/x-tar")
        self.container.put(POINTER, json.dumps(info.to_json()).encode(), content_type="application/json")
        self._prune(keep=info.snapshot_id)

    def _prune(self, keep: str) -> None:
        names = sorted(p.name for p in self.container.list(PREFIX))  # ids sort by build time
        for name in names[:-KEEP]:
            if keep not in name:
                with contextlib.suppress(BlobNotFound):
                    self.container.delete(name)
