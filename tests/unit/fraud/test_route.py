"""POST /api/fraud/score through the HTTP edge: roles, validation, rules fallback, then the model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import azure.functions as func
import pytest

from functions import fraud
from models.registry import CONTAINER, ModelRegistry
from shared import composition as bootstrap
from shared.adapters.folder_blobs import FolderBlobStore
from shared.http.auth import mint_dev_token
from tests.ml_fixtures import artifact
from tests.unit.edge_support import problem, request, use_env
from tests.unit.fraud.builders import card_testing, txn


@pytest.fixture(autouse=True)
def dev(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    use_env(monkeypatch, tmp_path, MODEL_REFRESH_SECONDS="0")
    bootstrap.reset()  # the blob store is cached per process: point it at this test's data dir
    bootstrap.override(fraud_scorer=None)
    yield
    bootstrap.override(fraud_scorer=None)
    bootstrap.reset()


def call(body: Any, roles: tuple[str, ...] | None = ("support",)) -> func.HttpResponse:
    token = mint_dev_token("agent-1", list(roles))[0] if roles is not None else None
    raw = body.model_dump(mode="json", by_alias=True) if hasattr(body, "model_dump") else body
    response: func.HttpResponse = fraud.api.routes[0].wrapper(
        request("POST", "/api/fraud/score", body=raw, token=token)
    )
    return response


def test_without_a_model_the_rules_score_with_null_model_version() -> None:
    response = call(card_testing())
    assert response.status_code == 200
    body = json.loads(response.get_body())
    assert set(body) == {"score", "decision", "reasons", "modelVersion"}
    assert body["modelVersion"] is None and body["decision"] in ("review", "reject")


def test_a_promoted_model_serves_the_route(tmp_path: Path) -> None:
    registry = ModelRegistry(FolderBlobStore(tmp_path / "blobs").container(CONTAINER))
    version = registry.register(artifact())
    registry.promote("fraud", version)
    ok = json.loads(call(txn(), roles=("admin",)).get_body())
    assert ok["modelVersion"] == version and ok["decision"] == "approve"
    blocked = json.loads(call(txn(providerSignal="blocked")).get_body())
    assert blocked["decision"] == "reject" and "rule:provider_blocked" in blocked["reasons"]


def test_customers_and_anonymous_callers_are_refused() -> None:
    assert call(txn(), roles=("customer",)).status_code == 403
    assert call(txn(), roles=None).status_code == 401


def test_invalid_bodies_name_the_field() -> None:
    body = txn().model_dump(mode="json", by_alias=True)
    body["distinctCardsLastHour"] = -1
    response = call(body)
    assert response.status_code == 422
    assert any(e["field"] == "distinctCardsLastHour" for e in problem(response)["errors"])
    assert call(b"{not json").status_code == 400
