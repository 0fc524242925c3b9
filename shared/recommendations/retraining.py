"""The recommendation model's retraining steps, run by the `model_retraining` orchestration's
activities (orchestrations/model_retraining.py) like fraud's, each idempotent by run id:

    extract  -> interactions (last `WINDOW_DAYS`) and catalog items staged at
                _runs/recommendations/<run>/data.json.gz
    train    -> `models.recommend.train_artifact` (fit, ONNX export, parity check), register the
                version with its metrics; writes _runs/recommendations/<run>/registered.json
    evaluate -> promote when there is no champion, or when the candidate beats the popularity
                baseline measured in the same run on the same held-out interactions, or when it
                is a small shop's fallback model (<= 10 products or no interactions yet: content
                over popularity, nothing collaborative to judge)

Why not "beat the champion" as fraud does: the champion was trained on older interactions that
include this run's holdout, so it would be scored on data it has seen; and a recommender must be
retrained anyway to know new products and users. The baseline gate still refuses a broken model.
Rollback is the registry's (`ModelRegistry.rollback`).
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from models.artifact import ModelArtifact
from models.registry import CONTAINER, ModelRegistry
from shared.messaging.outbox import NOT_OUTBOX
from shared.ports.blobs import BlobContainer, BlobNotFound, BlobStore
from shared.ports.documents import DocumentStore, Filter, Query
from shared.recommendations.catalog_view import CATEGORIES, CATEGORIES_PK, PRODUCTS, PRODUCTS_PK
from shared.recommendations.feedback import TYPE_WEIGHTS
from shared.recommendations.interactions import InteractionStore, parse_at
from shared.recommendations.scorer_source import MODEL_NAME

WINDOW_DAYS = 365
# The metric the promotion gate compares (the candidate's vs popularity's, same run, same holdout).
GATE_METRIC = "precision@10"
PARITY_USERS = 64
PARITY_TOLERANCE = 1e-3


def _run_path(run_id: str, leaf: str) -> str:
    return f"_runs/{MODEL_NAME}/{run_id}/{leaf}"


def _read_json(blobs: BlobContainer, path: str) -> Any:
    try:
        data = blobs.get(path).data
    except BlobNotFound:
        return None
    return json.loads(gzip.decompress(data) if path.endswith(".gz") else data)


def _write_json(blobs: BlobContainer, path: str, value: Any) -> None:
    raw = json.dumps(value, separators=(",", ":")).encode()
    blobs.put(path, gzip.compress(raw) if path.endswith(".gz") else raw, content_type="application/json")


def collect(store: DocumentStore, *, now: datetime | None = None) -> dict[str, list[dict[str, Any]]]:
    """Interaction rows (user_id, item_id, weight by type, timestamp) and item rows (item_id,
    text, category) from the stores: the training input `train_artifact` takes."""
    since = (now or datetime.now(UTC)) - timedelta(days=WINDOW_DAYS)
    rows = [
        {
            "user_id": d["userId"],
            "item_id": d["productId"],
            "weight": TYPE_WEIGHTS.get(d["type"], 0.0),
            "timestamp": parse_at(d["at"]).timestamp(),
        }
        for d in InteractionStore(store).scan(since=since)
        if d.get("type") in TYPE_WEIGHTS
    ]
    categories = {
        d["id"]: str(d.get("name") or d["id"])
        for d in store.container(CATEGORIES, CATEGORIES_PK).query_all(Query())
    }
    products = store.container(PRODUCTS, PRODUCTS_PK).query_all(
        Query(where=(Filter("docType", "=", "product"), NOT_OUTBOX))
    )
    items = [
        {
            "item_id": p["id"],
            "text": " ".join(
                str(x)
                for x in (p.get("name"), categories.get(p.get("categoryId", ""), ""), p.get("description"))
                if x
            ),
            "category": str(p.get("categoryId") or ""),
        }
        for p in products
    ]
    return {"interactions": rows, "items": items}


def extract(store: DocumentStore, blobs_store: BlobStore, *, run_id: str) -> dict[str, Any]:
    blobs = blobs_store.container(CONTAINER)
    path = _run_path(run_id, "data.json.gz")
    data = _read_json(blobs, path)
    if data is None:
        data = collect(store)
        _write_json(blobs, path, data)
    return {
        "rows": len(data["interactions"]),
        "users": len({r["user_id"] for r in data["interactions"]}),
        "items": len(data["items"]),
        "source": "interactions",
    }


def parity_check(onnx_bytes: bytes, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """onnxruntime's top-k scores against the numpy reference for up to PARITY_USERS users'
    histories (the registry refuses a version whose check did not pass)."""
    import numpy as np

    from models.recommend import RecsScorer

    scorer = RecsScorer(onnx_bytes)
    histories: dict[str, dict[str, float]] = {}
    for row in rows:
        if len(histories) >= PARITY_USERS and row["user_id"] not in histories:
            continue
        user = histories.setdefault(row["user_id"], {})
        user[row["item_id"]] = user.get(row["item_id"], 0.0) + float(row["weight"])
    worst = 0.0
    checked = 0
    for history in [*histories.values(), {}]:  # the empty history too: pure popularity
        vector = scorer.history_vector(history)
        mask = np.zeros(scorer.n_items, dtype=np.float32)
        k = min(10, scorer.n_items)
        values, indices = scorer.top_onnx(vector, mask, k)
        reference = scorer.scores_numpy(vector, mask)[indices]
        worst = max(worst, float(np.max(np.abs(values - reference))) if len(values) else 0.0)
        checked += 1
    return {
        "rows": checked,
        "max_abs_diff": worst,
        "tolerance": PARITY_TOLERANCE,
        "passed": worst <= PARITY_TOLERANCE,
    }


def train(blobs_store: BlobStore, *, run_id: str) -> dict[str, Any]:
    blobs = blobs_store.container(CONTAINER)
    done = _read_json(blobs, _run_path(run_id, "registered.json"))
    if done is not None:
        return dict(done)
    data = _read_json(blobs, _run_path(run_id, "data.json.gz"))
    if data is None:
        raise ValueError(f"run {run_id} staged no data")
    import pandas as pd

    from models.recommend import train_artifact

    interactions = pd.DataFrame(data["interactions"], columns=["user_id", "item_id", "weight", "timestamp"])
    items = pd.DataFrame(data["items"], columns=["item_id", "text", "category"])
    onnx_bytes, metrics = train_artifact(interactions, items)
    metadata: dict[str, Any] = {"parity": parity_check(onnx_bytes, data["interactions"])}
    metadata.update(
        {
            "featureNames": [],
            "metrics": {k: float(v) for k, v in metrics.items() if isinstance(v, int | float)},
            "source": "interactions",
            "dataSources": {"interactions": len(data["interactions"])},
            "dataWindow": {"days": WINDOW_DAYS, "items": len(data["items"])},
            "run": run_id,
        }
    )
    version = ModelRegistry(blobs).register(ModelArtifact(MODEL_NAME, onnx_bytes, metadata))
    result = {"version": version, "metrics": metadata["metrics"]}
    _write_json(blobs, _run_path(run_id, "registered.json"), result)
    return result


def evaluate(blobs_store: BlobStore, *, run_id: str) -> dict[str, Any]:
    blobs = blobs_store.container(CONTAINER)
    registered = _read_json(blobs, _run_path(run_id, "registered.json"))
    if registered is None:
        raise ValueError(f"run {run_id} registered no model")
    registry = ModelRegistry(blobs)
    version = registered["version"]
    earlier = registry.evaluation(MODEL_NAME, version)
    if earlier is not None:
        return earlier
    current = registry.champion(MODEL_NAME)
    metrics = registered["metrics"]
    candidate = metrics.get(GATE_METRIC)
    baseline = metrics.get(f"popularity_{GATE_METRIC}")
    beats_baseline = candidate is not None and (baseline is None or candidate >= baseline)
    # A small shop's fallback model (content over popularity, models.recommend.SMALL_CATALOG_ITEMS)
    # has no collaborative part for the gate to judge, and the fresher popularity is the better one.
    fallback = bool(metrics.get("fallback"))
    promote = current is None or (current.version != version and (beats_baseline or fallback))
    evaluation = {
        "candidate": version,
        "champion": current.version if current else None,
        "metric": GATE_METRIC,
        "candidateValue": candidate,
        "popularityValue": baseline,
        "promoted": promote or (current is not None and current.version == version),
        "rule": (
            "no champion yet"
            if current is None
            else "small-shop fallback model (content over popularity)"
            if fallback
            else "candidate beats popularity on this run's holdout"
        ),
    }
    if promote:
        registry.promote(
            MODEL_NAME, version, reason="first model" if current is None else "retrained", expected=current
        )
    registry.save_evaluation(MODEL_NAME, version, evaluation)
    return evaluation


def retrain_now(store: DocumentStore, blobs_store: BlobStore, *, run_id: str) -> dict[str, Any]:
    """The three steps in one call (devhost's first-model seeder, tests)."""
    data = extract(store, blobs_store, run_id=run_id)
    trained = train(blobs_store, run_id=run_id)
    return {"data": data, **trained, "evaluation": evaluate(blobs_store, run_id=run_id)}
