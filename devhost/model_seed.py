"""Seed hook for a fresh devhost: train and promote the first models from the generator.

`train_initial_models(blob_store)` does the work (a few seconds); `seed_models(data_dir)` is the
form devhost's seeder list takes (`"devhost.model_seed:seed_models"`).
Idempotent: a model that already has a champion is left alone.
"""

from __future__ import annotations

import logging
from pathlib import Path

from shared.ports.blobs import BlobStore

log = logging.getLogger(__name__)


def train_initial_models(blob_store: BlobStore, *, n_customers: int = 4000, seed: int = 7) -> dict[str, str]:
    """{model name: champion version}. Imports scikit-learn (seed time only, never a request path)."""
    from models import fraud
    from models.evaluation import promote_if_better
    from models.fraud.dataset import fraud_frame
    from models.registry import CONTAINER, ModelRegistry
    from models.synthetic import generate_history

    registry = ModelRegistry(blob_store.container(CONTAINER))
    champion = registry.champion(fraud.MODEL_NAME)
    if champion is not None:
        return {fraud.MODEL_NAME: champion.version}
    frame = fraud_frame(generate_history(n_customers, seed=seed))
    trained = fraud.train(frame, label="is_fraud")
    artifact = fraud.export(trained)
    # Seed time has no production labels yet: the generator alone.
    artifact.metadata.update(
        {
            "source": "synthetic",
            "dataSources": {"synthetic": len(frame["is_fraud"])},
            "labelledRows": 0,
            "run": "seed",
        }
    )
    version = registry.register(artifact)
    promote_if_better(registry, fraud.MODEL_NAME, version, trained.holdout_X, trained.holdout_y)
    log.info(
        "seeded fraud model %s (PR-AUC %.3f on the generator's holdout)", version, trained.metrics["pr_auc"]
    )
    return {fraud.MODEL_NAME: version}


def seed_models(data_dir: Path) -> None:
    """devhost seeder (`devhost.model_seed:seed_models`): the blob store of the data dir, per settings."""
    from shared.composition import build_blob_store
    from shared.settings import get_settings

    settings = get_settings().model_copy(update={"data_dir": str(data_dir)})
    train_initial_models(build_blob_store(settings))
