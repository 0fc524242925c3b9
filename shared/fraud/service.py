"""The fraud service: one scorer per process, built from settings; what the route and workflow call."""

from __future__ import annotations

import threading

from models.fraud_features import MODEL_NAME
from models.registry import CONTAINER, ModelRegistry
from models.runtime import ModelRuntime
from shared.bootstrap import get_blob_store
from shared.fraud.model import FraudAssessment, FraudInput
from shared.fraud.port import FraudScorer, Thresholds
from shared.fraud.scorer import ModelFraudScorer
from shared.ports.blobs import BlobStore
from shared.settings import Settings, get_settings

_lock = threading.Lock()
_scorer: FraudScorer | None = None


def build_fraud_scorer(blob_store: BlobStore, settings: Settings) -> FraudScorer:
    """The model+rules scorer over the model registry in `blob_store` (rules alone until a model is live)."""
    registry = ModelRegistry(blob_store.container(CONTAINER))
    runtime = ModelRuntime(registry, MODEL_NAME, refresh_seconds=settings.model_refresh_seconds)
    thresholds = Thresholds(review=settings.fraud_review_threshold, reject=settings.fraud_reject_threshold)
    return ModelFraudScorer(runtime, thresholds)


def get_fraud_scorer() -> FraudScorer:
    """The process-wide scorer (created on first use: sessions load once per process)."""
    global _scorer
    with _lock:
        if _scorer is None:
            settings = get_settings()
            _scorer = build_fraud_scorer(get_blob_store(), settings)
        return _scorer


def set_fraud_scorer(scorer: FraudScorer | None) -> None:
    """Install a scorer (devhost wiring, tests); None resets to the settings-built one."""
    global _scorer
    with _lock:
        _scorer = scorer


def score_transaction(txn: FraudInput, *, scorer: FraudScorer | None = None) -> FraudAssessment:
    return (scorer or get_fraud_scorer()).score(txn)
