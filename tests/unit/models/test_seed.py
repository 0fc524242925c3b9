"""The devhost seed hook trains and promotes the first fraud model, once."""

from __future__ import annotations

from pathlib import Path

import pytest

from devhost.model_seed import seed_models
from models.registry import CONTAINER, ModelRegistry
from shared.adapters.folder_blobs import FolderBlobStore
from tests.unit.edge_support import use_env


def test_seed_promotes_a_fraud_model_and_is_idempotent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    use_env(monkeypatch, tmp_path / "elsewhere")  # the seeder must use the data dir it is given
    seed_models(tmp_path)
    registry = ModelRegistry(FolderBlobStore(tmp_path / "blobs").container(CONTAINER))
    champion = registry.champion("fraud")
    assert champion is not None and registry.metadata("fraud", champion.version)["metrics"]["pr_auc"] > 0.8
    seed_models(tmp_path)
    assert registry.versions("fraud") == [champion.version]
