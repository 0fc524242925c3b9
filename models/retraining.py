"""Retraining steps, each an idempotent function of (blob store, run id): the activities of the
`model_retraining` orchestration call these.

    extract  -> training data staged at  _runs/<name>/<run>/frame.npz
    train    -> train, export, parity check, register; writes _runs/<name>/<run>/registered.json
    evaluate -> challenger vs champion on the run's holdout; promote if better

Staging in the blob store keeps orchestration payloads small JSON, and a replayed or retried
activity finds its earlier output instead of training (or registering) twice.
Data sources: the synthetic generator plus the labelled production rows (review outcomes,
chargebacks; `shared.orders.fraud_labels`) the caller passes to `extract`. The frame keeps each row's
origin, and the version's metadata records `source`, `dataSources` (rows per origin) and
`labelledRows`, so what a model learnt from is never a guess.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.fraud.labelled import data_sources
from models.registry import CONTAINER, ModelRegistry
from shared.ports.blobs import BlobContainer, BlobNotFound, BlobStore

TRAINABLE = ("fraud",)
_RUN_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")


class UnknownModel(ValueError):
    pass


def _check(name: str, run_id: str) -> None:
    if name not in TRAINABLE:
        raise UnknownModel(f"no training pipeline for model {name!r} (known: {', '.join(TRAINABLE)})")
    if not _RUN_ID.match(run_id):
        raise ValueError(f"invalid run id {run_id!r}")


def _read_json(blobs: BlobContainer, path: str) -> dict[str, Any] | None:
    try:
        return dict(json.loads(blobs.get(path).data))
    except BlobNotFound:
        return None


def _save_arrays(blobs: BlobContainer, path: str, arrays: dict[str, np.ndarray]) -> None:
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)  # type: ignore[arg-type]
    blobs.put(path, buf.getvalue())


def _load_arrays(blobs: BlobContainer, path: str) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(blobs.get(path).data), allow_pickle=False) as data:
        return {k: data[k] for k in data.files}


def summary(frame: Mapping[str, np.ndarray]) -> dict[str, Any]:
    """What a run's data is: rows, fraud rate and rows per origin (synthetic / review / chargeback)."""
    sources = data_sources(frame)
    labelled = sum(n for origin, n in sources.items() if origin != "synthetic")
    return {
        "rows": len(frame["is_fraud"]),
        "fraudRate": float(np.mean(frame["is_fraud"])),
        "source": "synthetic+labels" if labelled else "synthetic",
        "dataSources": sources,
        "labelledRows": labelled,
    }


def extract(
    store: BlobStore,
    *,
    name: str,
    run_id: str,
    n_customers: int = 6000,
    seed: int = 0,
    labelled: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Stage the run's training data: the generator's history plus `labelled` rows (raw columns,
    `is_fraud`, `source`). A repeated call returns the staged data's summary (labels read once)."""
    _check(name, run_id)
    blobs = store.container(CONTAINER)
    path = f"_runs/{name}/{run_id}/frame.npz"
    try:
        frame = _load_arrays(blobs, path)
    except BlobNotFound:
        from models.fraud.dataset import fraud_frame
        from models.fraud.labelled import merge_labelled
        from models.synthetic import generate_history

        frame = merge_labelled(fraud_frame(generate_history(n_customers, seed=seed)), labelled)
        _save_arrays(blobs, path, frame)  # numeric and unicode arrays only: no pickle needed
    return summary(frame)


def train(store: BlobStore, *, name: str, run_id: str) -> dict[str, Any]:
    _check(name, run_id)
    blobs = store.container(CONTAINER)
    done = _read_json(blobs, f"_runs/{name}/{run_id}/registered.json")
    if done is not None:
        return done
    from models import fraud

    frame = _load_arrays(blobs, f"_runs/{name}/{run_id}/frame.npz")
    trained = fraud.train(frame, label="is_fraud")
    artifact = fraud.export(trained)  # raises ParityError: nothing registered
    data = summary(frame)
    artifact.metadata.update(
        {
            "source": data["source"],
            "dataSources": data["dataSources"],
            "labelledRows": data["labelledRows"],
            "run": run_id,
        }
    )
    version = ModelRegistry(blobs).register(artifact)
    _save_arrays(
        blobs, f"_runs/{name}/{run_id}/holdout.npz", {"X": trained.holdout_X, "y": trained.holdout_y}
    )
    result = {"version": version, "metrics": trained.metrics}
    blobs.put(
        f"_runs/{name}/{run_id}/registered.json", json.dumps(result).encode(), content_type="application/json"
    )
    return result


def evaluate(store: BlobStore, *, name: str, run_id: str) -> dict[str, Any]:
    _check(name, run_id)
    from models.evaluation import promote_if_better

    blobs = store.container(CONTAINER)
    registered = _read_json(blobs, f"_runs/{name}/{run_id}/registered.json")
    if registered is None:
        raise ValueError(f"run {run_id} registered no model")
    registry = ModelRegistry(blobs)
    earlier = registry.evaluation(name, registered["version"])
    if earlier is not None:
        return earlier
    champion = registry.champion(name)
    if champion is not None and champion.version == registered["version"]:
        # Promoted by an earlier attempt that stopped before recording the evaluation.
        return {"candidate": champion.version, "champion": champion.version, "promoted": True}
    holdout = _load_arrays(blobs, f"_runs/{name}/{run_id}/holdout.npz")
    return promote_if_better(registry, name, registered["version"], holdout["X"], holdout["y"]).to_json()
