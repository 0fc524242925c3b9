"""The model+rules scorer through the real registry and runtime: decisions on obvious cases,
reasons, the rules fallback without a model, and the hard rules on top of the model."""

from __future__ import annotations

from pathlib import Path

import pytest

from models.registry import CONTAINER, ModelRegistry
from shared.adapters.folder_blobs import FolderBlobStore
from shared.composition import build_fraud_scorer
from shared.fraud.service import score_transaction
from shared.settings import Settings
from tests.ml_fixtures import artifact
from tests.unit.fraud.builders import account_takeover, card_testing, txn

SETTINGS = Settings(FRAUD_REVIEW_THRESHOLD=0.5, FRAUD_REJECT_THRESHOLD=0.9, MODEL_REFRESH_SECONDS=0)


@pytest.fixture
def store(tmp_path: Path) -> FolderBlobStore:
    return FolderBlobStore(tmp_path)


@pytest.fixture
def version(store: FolderBlobStore) -> str:
    registry = ModelRegistry(store.container(CONTAINER))
    v = registry.register(artifact())
    registry.promote("fraud", v)
    return v


def test_without_a_model_the_rules_answer_with_a_null_model_version(store: FolderBlobStore) -> None:
    scorer = build_fraud_scorer(store, SETTINGS)
    result = score_transaction(card_testing(), scorer=scorer)
    assert result.model_version is None and result.decision != "approve"
    assert "rule:card_testing" in result.reasons


def test_ordinary_order_is_approved_by_the_model(store: FolderBlobStore, version: str) -> None:
    result = build_fraud_scorer(store, SETTINGS).score(txn())
    assert result.model_version == version
    assert result.decision == "approve" and result.score < 0.1


@pytest.mark.parametrize("case", [card_testing, account_takeover])
def test_obvious_fraud_is_not_approved_and_explained_by_features(
    store: FolderBlobStore, version: str, case: object
) -> None:
    result = build_fraud_scorer(store, SETTINGS).score(case())  # type: ignore[operator]
    assert result.model_version == version
    assert result.decision in ("review", "reject") and result.score >= 0.5
    assert any(r.startswith("feature:") for r in result.reasons)


def test_provider_blocked_rejects_whatever_the_model_says(store: FolderBlobStore, version: str) -> None:
    result = build_fraud_scorer(store, SETTINGS).score(txn(providerSignal="blocked"))
    assert result.decision == "reject" and result.reasons[0] == "rule:provider_blocked"
    highest = build_fraud_scorer(store, SETTINGS).score(txn(providerSignal="highest"))
    assert highest.decision == "review" and highest.model_version == version


def test_thresholds_come_from_settings(store: FolderBlobStore, version: str) -> None:
    strict = Settings(FRAUD_REVIEW_THRESHOLD=0.0, FRAUD_REJECT_THRESHOLD=1.0, MODEL_REFRESH_SECONDS=0)
    assert build_fraud_scorer(store, strict).score(txn()).decision == "review"


def test_a_model_with_another_feature_list_is_not_used(store: FolderBlobStore) -> None:
    registry = ModelRegistry(store.container(CONTAINER))
    a = artifact()
    other = type(a)(a.name, a.onnx, {**a.metadata, "featureNames": ["something_else"]})
    registry.promote("fraud", registry.register(other))
    result = build_fraud_scorer(store, SETTINGS).score(card_testing())
    assert result.model_version is None and "rule:card_testing" in result.reasons
