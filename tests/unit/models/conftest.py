"""Model tests train the service model through its family with fewer trees (same code path)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.ml_fixtures import fast_params


@pytest.fixture(autouse=True)
def fast_training(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr("models.fraud.family.TRAINING_PARAMS", fast_params())
    yield
