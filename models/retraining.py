"""Retraining steps, each an idempotent function of (blob store, run id): the activities of the
`model_retraining` orchestration call these. What is trained is a model family's business
(models.family: fraud now; more families register there):

    extract  -> the family's training data staged at  _runs/<name>/<run>/frame.npz
    train    -> family.train (train, export, parity check), register; writes registered.json
    evaluate -> family.evaluate: challenger vs champion on the run's comparison rows; promote if better

Staging in the blob store keeps orchestration payloads small JSON, and a replayed or retried
activity finds its earlier output instead of training (or registering) twice.
Data sources (fraud): the synthetic generator plus the labelled production rows (review outcomes,
chargebacks; `shared.orders.fraud_labels`) the caller passes to `extract`. The frame keeps each row's
origin, and the version's metadata records `source`, `dataSources` (rows per origin) and
`labelledRows`, so what a model learnt from is never a guess. Review/reject cut-offs are chosen per
version from the budget settings (models.thresholds) and stored in its metadata.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models import family as families
from models.registry import CONTAINER, ModelRegistry
from models.thresholds import ThresholdBudget
from shared.ports.blobs import BlobContainer, BlobNotFound, BlobStore

TRAINABLE = (*families.names(), "demand")
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
    from models.fraud.labelled import data_sources

    data = {k: v for k, v in frame.items() if not k.startswith("cmp_")}
    sources = data_sources(data)
    labelled = sum(n for origin, n in sources.items() if origin != "synthetic")
    return {
        "rows": len(data["is_fraud"]),
        "fraudRate": float(np.mean(data["is_fraud"])),
        "source": "synthetic+labels" if labelled else "synthetic",
        "dataSources": sources,
        "labelledRows": labelled,
    }


def _budget() -> ThresholdBudget:
    from shared.settings import get_settings

    return ThresholdBudget.from_settings(get_settings())


def extract(
    store: BlobStore,
    *,
    name: str,
    run_id: str,
    n_customers: int | None = None,
    seed: int = 0,
    labelled: Sequence[Mapping[str, Any]] = (),
    rows: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """Stage the run's training data: the generator's history plus `labelled` rows (raw columns,
    `is_fraud`, `source`). A repeated call returns the staged data's summary (labels read once).
    Model `demand`: `rows` are the sales history's product-day rows (shared.pricing.training)."""
    _check(name, run_id)
    if name == "demand":
        return _demand_extract(store.container(CONTAINER), run_id, rows)
    blobs = store.container(CONTAINER)
    path = f"_runs/{name}/{run_id}/frame.npz"
    try:
        frame = _load_arrays(blobs, path)
    except BlobNotFound:
        frame = families.get_family(name).extract(n_customers=n_customers, seed=seed, labelled=labelled)
        _save_arrays(blobs, path, frame)  # numeric and unicode arrays only: no pickle needed
    return summary(frame)


def train(
    store: BlobStore, *, name: str, run_id: str, budget: ThresholdBudget | None = None
) -> dict[str, Any]:
    _check(name, run_id)
    blobs = store.container(CONTAINER)
    done = _read_json(blobs, f"_runs/{name}/{run_id}/registered.json")
    if done is not None:
        return done
    if name == "demand":
        return _demand_train(blobs, run_id)
    frame = _load_arrays(blobs, f"_runs/{name}/{run_id}/frame.npz")
    result = families.get_family(name).train(frame, budget=budget or _budget())
    artifact = result.artifact
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
    _save_arrays(blobs, f"_runs/{name}/{run_id}/holdout.npz", dict(result.holdout))
    registered = {"version": version, "metrics": result.metrics}
    blobs.put(
        f"_runs/{name}/{run_id}/registered.json",
        json.dumps(registered).encode(),
        content_type="application/json",
    )
    return registered


def evaluate(store: BlobStore, *, name: str, run_id: str) -> dict[str, Any]:
    _check(name, run_id)
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
    if name == "demand":
        from models.pricing.family import FAMILY

        return FAMILY.evaluate(
            registry, registered["version"], _load_arrays(blobs, f"_runs/{name}/{run_id}/holdout.npz")
        )
    holdout = _load_arrays(blobs, f"_runs/{name}/{run_id}/holdout.npz")
    return families.get_family(name).evaluate(registry, registered["version"], holdout)


# --- demand (models.pricing.family.FAMILY, shaped as a ModelFamily) ------------------------------


def _demand_extract(blobs: BlobContainer, run_id: str, rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    from models.pricing.family import FAMILY

    path = f"_runs/demand/{run_id}/frame.npz"
    try:
        frame = _load_arrays(blobs, path)
    except BlobNotFound:
        frame = FAMILY.extract(labelled=rows)
        _save_arrays(blobs, path, frame)
    n = len(frame["product_id"])
    return {
        "rows": n,
        "products": len(set(frame["product_id"].tolist())),
        "source": "sales",
        "dataSources": {"sales": n},
    }


def _demand_train(blobs: BlobContainer, run_id: str) -> dict[str, Any]:
    from models.pricing.family import FAMILY

    frame = _load_arrays(blobs, f"_runs/demand/{run_id}/frame.npz")
    result = FAMILY.train(frame)
    n = len(frame["product_id"])
    result.artifact.metadata.update({"source": "sales", "dataSources": {"sales": n}, "run": run_id})
    version = ModelRegistry(blobs).register(result.artifact)
    _save_arrays(
        blobs,
        f"_runs/demand/{run_id}/holdout.npz",
        result.holdout or {"product_id": np.asarray([], dtype=str)},
    )
    done = {"version": version, "metrics": result.metrics}
    blobs.put(
        f"_runs/demand/{run_id}/registered.json", json.dumps(done).encode(), content_type="application/json"
    )
    return done
