"""What `GET /api/models` shows: every model, its versions with metrics, and which one is live."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from models.registry import ModelRegistry
from shared.kernel.schema import ApiModel


class ModelVersionInfo(ApiModel):
    version: str
    created_at: str | None = None
    metrics: dict[str, float] = Field(default_factory=dict)
    data_window: dict[str, Any] = Field(default_factory=dict)
    source: str | None = None
    data_sources: dict[str, int] = Field(default_factory=dict, description="training rows per origin")
    labelled_rows: int | None = Field(None, description="review outcomes and chargebacks used")
    live: bool = False
    evaluation: dict[str, Any] | None = None


class ModelInfo(ApiModel):
    name: str
    live_version: str | None = None
    previous_versions: list[str] = Field(default_factory=list, description="earlier champions, newest first")
    versions: list[ModelVersionInfo] = Field(default_factory=list, description="newest first")


class ModelsPublic(ApiModel):
    items: list[ModelInfo]


def describe_models(registry: ModelRegistry, *, max_versions: int = 20) -> ModelsPublic:
    items = []
    for name in registry.model_names():
        champion = registry.champion(name)
        live = champion.version if champion else None
        versions = []
        for version in reversed(registry.versions(name)[-max_versions:]):
            meta = registry.metadata(name, version)
            versions.append(
                ModelVersionInfo(
                    version=version,
                    created_at=meta.get("createdAt"),
                    metrics=meta.get("metrics", {}),
                    data_window=meta.get("dataWindow", {}),
                    source=meta.get("source"),
                    data_sources=meta.get("dataSources", {}),
                    labelled_rows=meta.get("labelledRows"),
                    live=version == live,
                    evaluation=registry.evaluation(name, version),
                )
            )
        items.append(
            ModelInfo(
                name=name,
                live_version=live,
                previous_versions=list(champion.previous) if champion else [],
                versions=versions,
            )
        )
    return ModelsPublic(items=items)
