"""Retraining: idempotent steps, the orchestration driven step by step with its real activities, and
the models API (GET /api/models, POST /api/models/{name}/retrain)."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.durable_functions as df
import pytest
from azure.durable_functions.testing import orchestrator_generator_wrapper

from functions import models as model_api
from models import retraining
from models.registry import CONTAINER, ModelRegistry
from orchestrations import model_retraining
from shared import composition as bootstrap
from shared.adapters.folder_blobs import FolderBlobStore
from shared.http import RequestContext
from shared.http.auth import mint_dev_token
from shared.kernel.errors import NotFound
from tests.unit.edge_support import request, use_env

SMALL = 1500  # customers in the synthetic extract: a few thousand orders, trains in about a second


@pytest.fixture(autouse=True)
def dev(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    use_env(monkeypatch, tmp_path)
    bootstrap.reset()
    yield
    bootstrap.reset()


@pytest.fixture
def store(tmp_path: Path) -> FolderBlobStore:
    return FolderBlobStore(tmp_path / "blobs")  # where bootstrap's folder store points


class Task:
    """What the orchestrator yields: here the activity already ran (in-process, for real)."""

    def __init__(self, result: Any) -> None:
        self.result = result


class Context:
    """The part of DurableOrchestrationContext the retraining orchestrator uses."""

    def __init__(self, instance_id: str, spec: dict[str, Any]) -> None:
        self.instance_id = instance_id
        self._spec = spec
        self.calls: list[str] = []
        self.status: Any = None
        self.activities = {f.get_function_name(): f.get_user_function() for f in _built()}

    def get_input(self) -> dict[str, Any]:
        return self._spec

    def set_custom_status(self, status: Any) -> None:
        self.status = status

    def call_activity_with_retry(self, name: str, _retry: Any, payload: Any) -> Task:
        self.calls.append(name)
        return Task(self.activities[name](json.loads(json.dumps(payload))))  # payloads are plain JSON


def _built() -> list[Any]:
    app = df.DFApp()
    app.register_functions(model_retraining.bp)
    return [f for f in app.get_functions() if f.get_trigger().get_binding_name() == "activityTrigger"]


def run_orchestration(instance_id: str, spec: dict[str, Any]) -> tuple[Context, Any]:
    ctx = Context(instance_id, spec)
    orchestrator = model_retraining.model_retraining.build().get_user_function().orchestrator_function
    *_, result = orchestrator_generator_wrapper(orchestrator(ctx))
    return ctx, result


def test_steps_are_idempotent_per_run(store: FolderBlobStore) -> None:
    first = retraining.extract(store, name="fraud", run_id="run-1", n_customers=SMALL)
    assert retraining.extract(store, name="fraud", run_id="run-1", n_customers=SMALL) == first
    trained = retraining.train(store, name="fraud", run_id="run-1")
    assert retraining.train(store, name="fraud", run_id="run-1") == trained
    registry = ModelRegistry(store.container(CONTAINER))
    assert registry.versions("fraud") == [trained["version"]]
    evaluation = retraining.evaluate(store, name="fraud", run_id="run-1")
    assert evaluation["promoted"] is True
    assert retraining.evaluate(store, name="fraud", run_id="run-1") == evaluation
    assert registry.champion("fraud").version == trained["version"]  # type: ignore[union-attr]


def test_unknown_models_and_bad_run_ids_are_refused(store: FolderBlobStore) -> None:
    with pytest.raises(retraining.UnknownModel):
        retraining.extract(store, name="pricing", run_id="r")
    with pytest.raises(ValueError):
        retraining.extract(store, name="fraud", run_id="../escape")


def test_orchestration_extracts_trains_evaluates_and_a_second_run_is_compared(store: FolderBlobStore) -> None:
    ctx, first = run_orchestration("inst-1", {"name": "fraud", "customers": SMALL})
    assert ctx.calls == ["retrain_extract", "retrain_train", "retrain_evaluate"]
    assert ctx.status == {"step": "done"}
    assert first["evaluation"]["promoted"] is True and first["metrics"]["pr_auc"] > 0.5
    _, second = run_orchestration("inst-2", {"name": "fraud", "customers": SMALL})
    assert second["evaluation"]["champion"] == first["version"]
    live = ModelRegistry(store.container(CONTAINER)).champion("fraud")
    expected = second["version"] if second["evaluation"]["promoted"] else first["version"]
    assert live is not None and live.version == expected


def call_list(roles: list[str]) -> Any:
    token = mint_dev_token("admin-1", roles)[0]
    info = next(r for r in model_api.api.routes if r.function_name == "list_models")
    return info.wrapper(request("GET", "/api/models", token=token))


def test_models_api_lists_versions_metrics_and_the_live_one(store: FolderBlobStore) -> None:
    retraining.extract(store, name="fraud", run_id="r1", n_customers=SMALL)
    version = retraining.train(store, name="fraud", run_id="r1")["version"]
    retraining.evaluate(store, name="fraud", run_id="r1")
    response = call_list(["admin"])
    assert response.status_code == 200
    (model,) = json.loads(response.get_body())["items"]
    assert model["name"] == "fraud" and model["liveVersion"] == version
    assert model["versions"][0]["live"] is True and model["versions"][0]["metrics"]["pr_auc"] > 0.5
    assert call_list(["support"]).status_code == 403


class RecordingClient:
    """The two DurableOrchestrationClient methods the retrain route uses."""

    def __init__(self) -> None:
        self.started: list[tuple[str, Any]] = []

    async def start_new(self, name: str, instance_id: str | None, client_input: Any) -> str:
        self.started.append((name, client_input))
        return "abc123"

    def create_http_management_payload(self, instance_id: str) -> dict[str, str]:
        return {"statusQueryGetUri": f"http://localhost/runtime/webhooks/durabletask/instances/{instance_id}"}


def test_retrain_starts_the_orchestration_and_unknown_models_are_404() -> None:
    client = RecordingClient()
    ctx = RequestContext(
        req=request("POST", "/api/models/fraud/retrain"), correlation_id="c", route={"name": "fraud"}
    )
    ctx.client = client
    response = asyncio.run(model_api.retrain_model(ctx))
    assert response.status == 202 and response.headers["Location"].endswith("/abc123")
    assert client.started == [("model_retraining", {"name": "fraud"})]
    unknown = RequestContext(req=ctx.req, correlation_id="c", route={"name": "nope"})
    with pytest.raises(NotFound, match="no trainable model"):
        asyncio.run(model_api.retrain_model(unknown))
