"""The `world` fixture (real orders through the orders context's harness) for the fraud tests."""

from tests.unit.fraud.orders_world import world

__all__ = ["world"]

from collections.abc import Iterator

import pytest

from tests.ml_fixtures import fast_params


@pytest.fixture(autouse=True)
def fast_training(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The service model trained through its family with fewer trees (same code path)."""
    monkeypatch.setattr("models.fraud.family.TRAINING_PARAMS", fast_params())
    yield
