"""The serving runtime: champion loaded once, ETag polled at most every N seconds, swaps on promotion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from models.registry import CONTAINER, ModelRegistry
from models.runtime import NO_MODEL_RECHECK_SECONDS, ModelRuntime, load_version
from shared.adapters.folder_blobs import FolderBlobStore
from shared.ports.blobs import BlobContainer, BlobProperties
from tests.ml_fixtures import artifact, promote_elsewhere, trained_model


class CountingContainer:
    """Delegates to a real container, counting property reads and failing on demand."""

    def __init__(self, inner: BlobContainer) -> None:
        self.inner = inner
        self.property_reads = 0
        self.broken = False

    def get_properties(self, name: str) -> BlobProperties:
        self.property_reads += 1
        if self.broken:
            raise OSError("storage unavailable")
        return self.inner.get_properties(name)

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def blobs(tmp_path: Path) -> CountingContainer:
    return CountingContainer(FolderBlobStore(tmp_path).container(CONTAINER))


def test_no_champion_means_no_model(blobs: CountingContainer) -> None:
    runtime = ModelRuntime(ModelRegistry(blobs), "fraud", refresh_seconds=0)  # type: ignore[arg-type]
    assert runtime.current() is None


def test_without_a_champion_the_pointer_is_rechecked_soon_not_on_every_call(
    blobs: CountingContainer,
) -> None:
    registry = ModelRegistry(blobs)  # type: ignore[arg-type]
    clock = Clock()
    runtime = ModelRuntime(registry, "fraud", refresh_seconds=30, clock=clock)
    assert runtime.current() is None
    for _ in range(50):
        assert runtime.current() is None
    assert blobs.property_reads == 1
    version = registry.register(artifact())
    promote_elsewhere(registry, "fraud", version)  # e.g. another worker's retraining finished
    clock.now += NO_MODEL_RECHECK_SECONDS
    assert runtime.current().version == version  # type: ignore[union-attr]
    clock.now += NO_MODEL_RECHECK_SECONDS  # a live model: back to the full interval
    runtime.current()
    assert blobs.property_reads == 2


def test_pointer_is_polled_at_most_every_interval_and_promotion_is_picked_up(
    blobs: CountingContainer,
) -> None:
    registry = ModelRegistry(blobs)  # type: ignore[arg-type]
    first = registry.register(artifact())
    registry.promote("fraud", first)
    clock = Clock()
    runtime = ModelRuntime(registry, "fraud", refresh_seconds=30, clock=clock)
    assert runtime.current().version == first  # type: ignore[union-attr]
    reads = blobs.property_reads
    for _ in range(100):
        runtime.current()
    assert blobs.property_reads == reads  # not on every call
    second = registry.register(artifact(shuffled_labels=True))
    promote_elsewhere(registry, "fraud", second)
    clock.now += 29
    assert runtime.current().version == first  # type: ignore[union-attr]
    clock.now += 2
    assert runtime.current().version == second  # type: ignore[union-attr]
    assert blobs.property_reads == reads + 1


def test_a_promotion_made_in_this_process_is_served_from_the_next_call(blobs: CountingContainer) -> None:
    # devhost's seeder trains and promotes the first model in-process: the first request after
    # seeding must score with it, not wait out the refresh interval.
    registry = ModelRegistry(blobs)  # type: ignore[arg-type]
    clock = Clock()
    runtime = ModelRuntime(registry, "fraud", refresh_seconds=30, clock=clock)
    assert runtime.current() is None
    version = registry.register(artifact())
    registry.promote("fraud", version)
    assert runtime.current().version == version  # type: ignore[union-attr]
    second = registry.register(artifact(shuffled_labels=True))
    registry.promote("fraud", second)
    assert runtime.current().version == second  # type: ignore[union-attr]
    reads = blobs.property_reads
    for _ in range(20):
        runtime.current()
    assert blobs.property_reads == reads  # and back to polling at the interval


def test_storage_failure_keeps_serving_the_loaded_model(blobs: CountingContainer) -> None:
    registry = ModelRegistry(blobs)  # type: ignore[arg-type]
    registry.promote("fraud", registry.register(artifact()))
    clock = Clock()
    runtime = ModelRuntime(registry, "fraud", refresh_seconds=5, clock=clock)
    loaded = runtime.current()
    blobs.broken = True
    clock.now += 10
    assert runtime.current() is loaded


def test_sessions_are_created_once_per_version_and_score_like_scikit_learn(blobs: CountingContainer) -> None:
    registry = ModelRegistry(blobs)  # type: ignore[arg-type]
    version = registry.register(artifact())
    a, b = load_version(registry, "fraud", version), load_version(registry, "fraud", version)
    assert a is b
    assert a.session.get_session_options().intra_op_num_threads == 1
    model = trained_model()
    got = a.run(model.holdout_X[:20]).reshape(-1)
    assert np.allclose(got, model.predict_proba(model.holdout_X[:20].astype(np.float64)), atol=1e-4)
