from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from shared import composition
from shared.orders.deps import OrderDeps
from shared.settings import get_settings
from tests.integration.orders.harness import build_deps, run_workflow
from tests.unit.edge_support import use_env


@pytest.fixture
def deps(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[OrderDeps]:
    use_env(monkeypatch, tmp_path / "data")
    built = build_deps(get_settings(), tmp_path / "data", review_timeout=30)
    composition.override(order_deps=built)  # the activities run by the engine use these
    yield built
    composition.override(order_deps=None)


@pytest.fixture
def run(tmp_path: Path, deps: OrderDeps) -> Callable[..., Any]:
    def runner(scenario: Any, timeout: float = 60) -> Any:
        return run_workflow(tmp_path / "durable.db", deps, scenario, timeout)

    return runner
