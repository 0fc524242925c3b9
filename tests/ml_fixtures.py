"""Small, fast ML builders shared by the model and fraud tests (one place for test data).

Everything is cached per process: training a few thousand rows takes well under a second, but
many tests need the same artifacts.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from models.artifact import ModelArtifact
from models.registry import ModelRegistry
from models.synthetic import Columns

SMALL_CUSTOMERS = 2500


def fast_params():  # -> TabularParams: the same candidates and CV, fewer trees (tests stay fast)
    from models.fraud.tabular import TabularParams

    return TabularParams(folds=3, hgb_max_iter=60, hgb_learning_rate=0.15, anomaly_trees=30)


@lru_cache(maxsize=4)
def small_frame(seed: int = 11) -> Columns:
    from models.fraud.dataset import fraud_frame
    from models.synthetic import generate_history

    return fraud_frame(generate_history(SMALL_CUSTOMERS, seed=seed, fraud_rate=0.04))


@lru_cache(maxsize=4)
def trained_model(seed: int = 11, shuffled_labels: bool = False):  # -> TrainedFraudModel
    from models.fraud.training import train

    frame = dict(small_frame(seed))
    if shuffled_labels:  # a deliberately useless challenger
        frame["is_fraud"] = np.random.default_rng(0).permutation(frame["is_fraud"])
    return train(frame, label="is_fraud", params=fast_params())


@lru_cache(maxsize=4)
def artifact(seed: int = 11, shuffled_labels: bool = False) -> ModelArtifact:
    from models.fraud.pipeline import export_artifact

    return export_artifact(trained_model(seed, shuffled_labels))


def promote_elsewhere(registry: ModelRegistry, name: str, version: str) -> None:
    """Promote as another worker process would: this process's runtimes are not told and must find
    the change by polling the pointer's ETag (this process's own promotions are served at once)."""
    from models import registry as registry_module

    registry.promote(name, version)
    registry_module._local_pointer_writes[name] -= 1
