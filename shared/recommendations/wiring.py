"""Builds the context's dependencies from settings, once per process (the composition root's
job: when `shared/composition.py` lands this moves there, and contexts receive `RecsDeps`)."""

from __future__ import annotations

import threading

from models.registry import CONTAINER, ModelRegistry
from shared.bootstrap import get_blob_store, get_document_store
from shared.recommendations.catalog_view import StoreCatalogView
from shared.recommendations.experiments import Experiments
from shared.recommendations.interactions import InteractionStore
from shared.recommendations.popularity import PopularityFallback
from shared.recommendations.scorer_source import ChampionScorerSource
from shared.recommendations.service import RecsDeps
from shared.settings import get_settings

_lock = threading.Lock()
_deps: RecsDeps | None = None


def build_recs_deps() -> RecsDeps:
    settings = get_settings()
    store = get_document_store()
    interactions = InteractionStore(store, cache_seconds=lambda: get_settings().recs_history_cache_seconds)
    return RecsDeps(
        catalog=StoreCatalogView(store, refresh_seconds=lambda: get_settings().recs_catalog_refresh_seconds),
        interactions=interactions,
        experiments=Experiments(store, cache_seconds=lambda: get_settings().recs_experiment_cache_seconds),
        scorers=ChampionScorerSource(
            ModelRegistry(get_blob_store().container(CONTAINER)),
            refresh_seconds=settings.model_refresh_seconds,
        ),
        popularity=PopularityFallback(interactions, half_life_days=settings.recs_half_life_days),
        half_life_days=settings.recs_half_life_days,
    )


def get_recs_deps() -> RecsDeps:
    global _deps
    with _lock:
        if _deps is None:
            _deps = build_recs_deps()
        return _deps


def set_recs_deps(deps: RecsDeps | None) -> None:
    """Install dependencies (tests); None rebuilds from settings on next use."""
    global _deps
    with _lock:
        _deps = deps
