"""The model registry on the embedded blob store: register, promote only if better, roll back, and a
promotion reaching threads that are scoring at that moment."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable

import numpy as np
import pytest

from models.evaluation import promote_if_better
from models.registry import (
    ConcurrentUpdate,
    ModelRegistry,
    NoPreviousChampion,
    RegistryError,
    UnverifiedModel,
    VersionNotFound,
)
from models.runtime import ModelRuntime
from shared.ports.blobs import BlobContainer, BlobStore
from tests.ml_fixtures import artifact, promote_elsewhere, trained_model


@pytest.fixture
def models_container(blobs: BlobStore) -> BlobContainer:
    # `blobs` runs each test on every blob adapter (folder, Azurite); a fresh container per test
    # because the Azurite stand-in lives for the whole session.
    return blobs.container(f"models-{uuid.uuid4().hex[:12]}")


@pytest.fixture
def registry(models_container: BlobContainer) -> ModelRegistry:
    return ModelRegistry(models_container)


def holdout() -> tuple[np.ndarray, np.ndarray]:
    model = trained_model()
    return model.holdout_X, model.holdout_y


def test_register_writes_versioned_artifact_with_metadata_and_hash(registry: ModelRegistry) -> None:
    version = registry.register(artifact())
    meta = registry.metadata("fraud", version)
    assert registry.versions("fraud") == [version] and registry.model_names() == ["fraud"]
    assert meta["sha256"]["model.onnx"] == artifact().sha256 and version.endswith(artifact().sha256[:8])
    for key in ("metrics", "dataWindow", "featureNames", "params", "createdAt", "parity"):
        assert meta[key], key
    assert registry.load_onnx("fraud", version) == artifact().onnx


def test_an_artifact_without_passed_parity_is_refused(registry: ModelRegistry) -> None:
    failed = dataclasses.replace(artifact(), metadata={**artifact().metadata, "parity": {"passed": False}})
    with pytest.raises(UnverifiedModel):
        registry.register(failed)
    assert registry.versions("fraud") == []


def test_tampered_model_bytes_are_detected(registry: ModelRegistry, models_container: BlobContainer) -> None:
    version = registry.register(artifact())
    models_container.put(f"fraud/{version}/model.onnx", b"not the registered graph")
    with pytest.raises(RegistryError, match="sha256"):
        registry.load_onnx("fraud", version)


def test_first_model_is_promoted_a_worse_challenger_is_not_and_a_better_one_is(
    registry: ModelRegistry,
) -> None:
    X, y = holdout()
    weak = registry.register(artifact(shuffled_labels=True))
    first = promote_if_better(registry, "fraud", weak, X, y)
    assert first.promoted and first.champion is None
    good = registry.register(artifact())
    second = promote_if_better(registry, "fraud", good, X, y)
    assert second.promoted and second.champion == weak
    assert second.candidate_pr_auc > second.champion_pr_auc  # type: ignore[operator]
    again = registry.register(artifact(shuffled_labels=True))  # same bytes, a new version
    third = promote_if_better(registry, "fraud", again, X, y)
    assert not third.promoted
    assert registry.champion("fraud").version == good  # type: ignore[union-attr]
    saved = registry.evaluation("fraud", again)
    assert saved is not None and saved["promoted"] is False and saved["champion"] == good


def test_rollback_returns_to_the_previous_champion_and_stops_at_the_first(registry: ModelRegistry) -> None:
    a = registry.register(artifact(shuffled_labels=True))
    b = registry.register(artifact())
    registry.promote("fraud", a)
    registry.promote("fraud", b)
    assert registry.champion("fraud").previous == (a,)  # type: ignore[union-attr]
    back = registry.rollback("fraud")
    assert back.version == a and registry.champion("fraud").version == a  # type: ignore[union-attr]
    with pytest.raises(NoPreviousChampion):
        registry.rollback("fraud")


def test_promotion_is_conditional_on_the_pointer_read(registry: ModelRegistry) -> None:
    a = registry.register(artifact(shuffled_labels=True))
    b = registry.register(artifact())
    registry.promote("fraud", a)
    stale = registry.champion("fraud")
    registry.promote("fraud", b)  # someone else promoted meanwhile
    with pytest.raises(ConcurrentUpdate):
        registry.promote("fraud", a, expected=stale)
    with pytest.raises(VersionNotFound):
        registry.promote("fraud", "20990101T000000000000-deadbeef")
    assert registry.champion("fraud").version == b  # type: ignore[union-attr]


def test_threads_scoring_pick_up_a_promotion_without_restart(registry: ModelRegistry) -> None:
    X, _ = holdout()
    old = registry.register(artifact(shuffled_labels=True))
    new = registry.register(artifact())
    registry.promote("fraud", old)
    runtime = ModelRuntime(registry, "fraud", refresh_seconds=0.05)
    seen: list[set[str]] = [set() for _ in range(4)]
    scored_old = [threading.Event() for _ in range(4)]  # set once thread i has scored on `old`
    errors: list[BaseException] = []
    stop = threading.Event()

    def serve(i: int) -> None:
        try:
            for n in range(100_000):  # bounded; stops well before when told
                if stop.is_set():
                    return
                model = runtime.current()
                assert model is not None
                score = model.run(X[n % len(X) : n % len(X) + 1])
                assert 0.0 <= float(score[0, 0]) <= 1.0
                seen[i].add(model.version)
                if model.version == old:
                    scored_old[i].set()
        except BaseException as exc:  # reported to the main thread
            errors.append(exc)

    def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        while not (done := condition() or bool(errors)) and time.monotonic() < deadline:
            time.sleep(0.01)
        return done

    threads = [threading.Thread(target=serve, args=(i,), daemon=True) for i in range(4)]
    for t in threads:
        t.start()
    try:
        # Promote only once every thread is scoring on `old`, however slowly the threads started.
        assert wait_for(lambda: all(e.is_set() for e in scored_old)), "threads never scored on old"
        assert not errors, errors
        promote_elsewhere(registry, "fraud", new)  # found by the ETag poll, as across Azure instances
        wait_for(lambda: all(new in s for s in seen))
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=10)
    assert not errors, errors
    assert all(s == {old, new} for s in seen), seen
    assert runtime.current().version == new  # type: ignore[union-attr]
