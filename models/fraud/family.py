"""The fraud family (models.family.ModelFamily): the order model's data, training, evaluation, cut-offs.

Importing this module imports no scikit-learn: training imports it when called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from models.family import TrainingResult
from models.fraud import MODEL_NAME
from models.registry import ModelRegistry
from models.thresholds import ThresholdBudget, budget_thresholds

DEFAULT_CUSTOMERS = 6000
COMPARISON_SHARE = 3  # comparison rows: a fresh generator sample a third of the training size
# fit_tabular's knobs for the service model; None = the defaults. Tests install a faster set.
TRAINING_PARAMS: Any = None


class FraudFamily:
    name = MODEL_NAME

    def extract(
        self, *, n_customers: int | None, seed: int, labelled: Sequence[Mapping[str, Any]]
    ) -> dict[str, np.ndarray]:
        """The generator's history plus the labelled production rows, and `cmp_*` comparison rows
        from another seed: neither the challenger nor the champion trained on them."""
        from models.fraud.dataset import fraud_frame
        from models.fraud.features import build_features
        from models.fraud.labelled import merge_labelled
        from models.synthetic import generate_history

        n = n_customers or DEFAULT_CUSTOMERS
        frame = merge_labelled(fraud_frame(generate_history(n, seed=seed)), labelled)
        fresh = fraud_frame(generate_history(max(200, n // COMPARISON_SHARE), seed=seed + 10_007))
        frame["cmp_X"] = build_features(fresh)
        frame["cmp_y"] = np.asarray(fresh["is_fraud"], dtype=np.int64)
        return frame

    def train(self, frame: Mapping[str, np.ndarray], *, budget: ThresholdBudget) -> TrainingResult:
        from models import fraud

        data = {k: v for k, v in frame.items() if not k.startswith("cmp_")}
        trained = fraud.train(data, label="is_fraud", params=TRAINING_PARAMS, budget=budget)
        artifact = fraud.export(trained)  # raises ParityError: nothing registered
        holdout = (
            {"X": frame["cmp_X"], "y": frame["cmp_y"]}
            if "cmp_X" in frame
            else {"X": trained.holdout_X, "y": trained.holdout_y}
        )
        return TrainingResult(artifact, trained.metrics, holdout)

    def evaluate(
        self, registry: ModelRegistry, version: str, holdout: Mapping[str, np.ndarray]
    ) -> dict[str, Any]:
        from models.evaluation import promote_if_better

        return promote_if_better(registry, self.name, version, holdout["X"], holdout["y"]).to_json()

    def thresholds(self, scores: np.ndarray, y: np.ndarray, budget: ThresholdBudget) -> dict[str, Any] | None:
        return budget_thresholds(scores, y, budget)


FAMILY = FraudFamily()
