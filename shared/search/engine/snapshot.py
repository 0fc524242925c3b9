"""Snapshots: the whole index (keyword engine files, int8 vectors, documents) as bytes or a folder.

Layout: `manifest.json` (format, model, sizes and the sha256 of every other file) beside
`documents.json`, `vectors.npy`, `scales.npy`, `keyword/<tantivy files>` and, for a big catalog,
`ivf/centroids.npy` + `ivf/cells.npy` (the vector scan's cells, engine/ivf.py). Loading checks every
checksum first: a truncated, altered or foreign snapshot raises SnapshotCorrupt, and the service
rebuilds from the catalog instead. Format 2 also stores the derived state (filter columns, the
suggester's entries, the lexicon's word counts), so a load does not re-derive them document by
document: that was most of a 100k load (33 s on the bench machine), the vectors being what a
rebuild would spend minutes on.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import tantivy

from shared.search.engine import documents
from shared.search.engine.columns import Columns
from shared.search.engine.index import IndexOptions, SearchIndex
from shared.search.engine.keyword import KeywordIndex
from shared.search.engine.types import SnapshotCorrupt, TextEncoder
from shared.search.engine.vectors import VectorStore

FORMAT = "smartcommerce-search/2"
MANIFEST = "manifest.json"


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _files(index: SearchIndex) -> dict[str, bytes]:
    with index.lock:
        index.keyword.quiesce()
        rows = len(index.docs)
        exported = index.vectors.export(rows)
        arrays, tables = index.columns.export()
        body = {
            "rows": [documents.to_json(d) if d is not None else None for d in index.docs],
            "texts": index.texts,
            "queryCounts": index.query_counts,
        }
        derived = {
            "codes": tables,
            "suggester": index.suggester.export(),
            "lexicon": index.lexicon.export(),
        }
        files = {
            "documents.json": json.dumps(body, separators=(",", ":")).encode(),
            "derived.json": json.dumps(derived, separators=(",", ":")).encode(),
            "vectors.npy": _npy(exported["matrix"]),
            "scales.npy": _npy(exported["scale"]),
        }
        for name, array in arrays.items():
            files[f"columns/{name}.npy"] = _npy(array)
        if index.vectors.ivf is not None:  # optional: a load without them trains the cells again
            centroids, cells = index.vectors.ivf.export(rows)
            files["ivf/centroids.npy"], files["ivf/cells.npy"] = _npy(centroids), _npy(cells)
        for path in sorted(index.keyword.path.iterdir()):
            if path.is_file() and not path.name.startswith(".tantivy-") and not path.name.endswith(".lock"):
                files[f"keyword/{path.name}"] = path.read_bytes()
    manifest = {
        "format": FORMAT,
        "model": getattr(index.encoder, "model_id", None),
        "dimension": index.vectors.dim,
        "rows": rows,
        "files": {
            name: {"sha256": hashlib.sha256(data).hexdigest(), "size": len(data)}
            for name, data in files.items()
        },
    }
    files[MANIFEST] = json.dumps(manifest, indent=1, sort_keys=True).encode()
    return files


def dumps(index: SearchIndex) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in _files(index).items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def save(index: SearchIndex, folder: Path) -> None:
    """Write into `folder` (created); the manifest goes last so a half-written folder fails to load."""
    files = _files(index)
    manifest = files.pop(MANIFEST)
    for name, data in files.items():
        target = folder / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    (folder / MANIFEST).write_bytes(manifest)


def loads(data: bytes, encoder: TextEncoder | None, options: IndexOptions | None = None) -> SearchIndex:
    files: dict[str, bytes] = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:") as tar:
            for member in tar.getmembers():
                if member.isfile():
                    extracted = tar.extractfile(member)
                    if extracted is not None:
                        files[member.name] = extracted.read()
    except (tarfile.TarError, EOFError, OSError) as exc:
        raise SnapshotCorrupt(f"search snapshot is not a readable archive: {exc}") from exc
    return _restore(files, encoder, options)


def load(folder: Path, encoder: TextEncoder | None, options: IndexOptions | None = None) -> SearchIndex:
    if not (folder / MANIFEST).is_file():
        raise SnapshotCorrupt(f"no search snapshot in {folder}")
    files = {p.relative_to(folder).as_posix(): p.read_bytes() for p in folder.rglob("*") if p.is_file()}
    return _restore(files, encoder, options)


def _verify(files: dict[str, bytes], encoder: TextEncoder | None) -> dict[str, Any]:
    try:
        manifest = json.loads(files[MANIFEST])
        listed = manifest["files"]
    except (KeyError, ValueError, TypeError) as exc:
        raise SnapshotCorrupt("search snapshot has no readable manifest") from exc
    if manifest.get("format") != FORMAT:
        raise SnapshotCorrupt(f"unknown search snapshot format {manifest.get('format')!r}")
    for name, facts in listed.items():
        data = files.get(name)
        if data is None:
            raise SnapshotCorrupt(f"search snapshot lacks {name}")
        if len(data) != facts["size"] or hashlib.sha256(data).hexdigest() != facts["sha256"]:
            raise SnapshotCorrupt(f"search snapshot file {name} fails its checksum")
    model = getattr(encoder, "model_id", None)
    if encoder is not None and (manifest["model"] != model or manifest["dimension"] != encoder.dimension):
        raise SnapshotCorrupt(f"search snapshot vectors are from {manifest['model']!r}, not {model!r}")
    return dict(manifest)


def _restore(
    files: dict[str, bytes], encoder: TextEncoder | None, options: IndexOptions | None
) -> SearchIndex:
    manifest = _verify(files, encoder)
    try:
        body = json.loads(files["documents.json"])
        derived = json.loads(files["derived.json"])
        matrix = np.load(io.BytesIO(files["vectors.npy"]), allow_pickle=False)
        scales = np.load(io.BytesIO(files["scales.npy"]), allow_pickle=False)
        arrays = {
            name: np.load(io.BytesIO(files[f"columns/{name}.npy"]), allow_pickle=False)
            for name in Columns.ARRAYS
        }
        ivf = None
        if "ivf/centroids.npy" in files and "ivf/cells.npy" in files:
            ivf = tuple(
                np.load(io.BytesIO(files[f"ivf/{n}.npy"]), allow_pickle=False) for n in ("centroids", "cells")
            )
    except (KeyError, ValueError) as exc:
        raise SnapshotCorrupt(f"search snapshot content is unreadable: {exc}") from exc
    rows = manifest["rows"]
    if (
        matrix.shape != (manifest["dimension"], rows)
        or len(body["rows"]) != rows
        or any(len(a) != rows for a in arrays.values())
    ):
        raise SnapshotCorrupt("search snapshot parts disagree on the number of rows")
    folder = Path(tempfile.mkdtemp(prefix="search-kw-"))
    for name, data in files.items():
        if name.startswith("keyword/") and "/" not in name[len("keyword/") :]:
            (folder / name[len("keyword/") :]).write_bytes(data)
    try:
        keyword = KeywordIndex(folder)
        keyword._owned = True  # the temporary folder is this index's own
    except (ValueError, OSError) as exc:
        raise SnapshotCorrupt(f"search snapshot keyword index does not open: {exc}") from exc
    index = SearchIndex(encoder, options, _keyword=keyword, _vectors=VectorStore.restore(matrix, scales))
    with index.lock:
        # The keyword engine, columns, suggester and lexicon come back as stored: only the
        # documents are decoded one by one (updates compare against them).
        from_json = documents.from_json
        docs = [from_json(data) if data else None for data in body["rows"]]
        index.docs = docs
        index.texts = list(body["texts"])
        index.row_of = {
            (doc.product_id if doc is not None else f"\x00deleted-{row}"): row for row, doc in enumerate(docs)
        }
        try:
            index.columns.restore(arrays, derived["codes"])
            index.suggester.restore(derived["suggester"])
            index.lexicon.restore(derived["lexicon"])
            # IVF cells as stored (a snapshot written before they existed: trained now)
            index.vectors.train(index.columns.size, ivf)  # type: ignore[arg-type]
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            raise SnapshotCorrupt(f"search snapshot derived state is unreadable: {exc}") from exc
        index.query_counts = dict(body.get("queryCounts", {}))
    if keyword.num_docs != sum(1 for d in index.docs if d is not None and d.searchable):
        raise SnapshotCorrupt("search snapshot keyword index disagrees with its documents")
    _ = tantivy  # the engine version is part of the format: Index.open fails on a foreign one
    return index
