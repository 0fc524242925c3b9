"""Model families: what the registry and the retraining orchestration need from a kind of model.

A family (fraud now; recommendations, pricing, forecasting register the same way) provides:

    name                         the registry prefix and the route name (`POST /api/models/{name}/retrain`)
    extract(...) -> frame        the run's training data (numpy arrays or strings only: staged as .npz)
    train(frame, budget) -> TrainingResult   artifact (parity-checked) + metrics + comparison rows
    evaluate(registry, version, holdout)     challenger vs champion on the same rows; promote if better
    thresholds(scores, y, budget)            decision cut-offs for a version (None if it has none)

Families are named here by import path and loaded on first use, so listing them (GET /api/models,
the retrain route) imports no training library.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from models.artifact import ModelArtifact
from models.registry import ModelRegistry
from models.thresholds import ThresholdBudget

# name -> "module:attribute" of a ModelFamily instance. Add a line to register a family.
FAMILIES: dict[str, str] = {
    "fraud": "models.fraud.family:FAMILY",
}


@dataclass
class TrainingResult:
    artifact: ModelArtifact
    metrics: dict[str, float]
    holdout: dict[str, np.ndarray] = field(default_factory=dict)  # rows `evaluate` compares on


class ModelFamily(Protocol):
    name: str

    def extract(
        self, *, n_customers: int | None, seed: int, labelled: Sequence[Mapping[str, Any]]
    ) -> dict[str, np.ndarray]: ...

    def train(self, frame: Mapping[str, np.ndarray], *, budget: ThresholdBudget) -> TrainingResult: ...

    def evaluate(
        self, registry: ModelRegistry, version: str, holdout: Mapping[str, np.ndarray]
    ) -> dict[str, Any]: ...

    def thresholds(
        self, scores: np.ndarray, y: np.ndarray, budget: ThresholdBudget
    ) -> dict[str, Any] | None: ...


def names() -> tuple[str, ...]:
    return tuple(FAMILIES)


def get_family(name: str) -> ModelFamily:
    try:
        module, attr = FAMILIES[name].split(":")
    except KeyError:
        raise KeyError(name) from None
    family: ModelFamily = getattr(importlib.import_module(module), attr)
    return family
