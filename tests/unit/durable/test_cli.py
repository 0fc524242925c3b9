"""`python -m devhost instances` / `instance ID` over a durable.db the engine wrote."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from devhost.durable.cli import main_instance, main_instances
from devhost.durable.engine import Engine


def test_instances_and_one_instance_history(
    run: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    async def scenario(engine: Engine) -> None:
        await engine.wait(engine.start_new("chain", "cli-1", json.dumps({"start": 1, "steps": 2})))
        engine.start_new("waiter", "cli-2")

    run(scenario, db=tmp_path / "durable.db")
    capsys.readouterr()
    assert main_instances(argparse.Namespace(data_dir=str(tmp_path), status=None)) == 0
    listing = capsys.readouterr().out
    assert "cli-1" in listing and "Completed" in listing and "cli-2" in listing

    assert main_instances(argparse.Namespace(data_dir=str(tmp_path), status="completed")) == 0
    only_done = capsys.readouterr().out
    assert "cli-1" in only_done and "cli-2" not in only_done

    assert main_instance(argparse.Namespace(data_dir=str(tmp_path), id="cli-1")) == 0
    detail = capsys.readouterr().out
    assert "status     Completed" in detail
    assert "output     3" in detail
    assert detail.count(" TaskScheduled id=") == 2 and detail.count(" TaskCompleted ") == 2
    assert "ExecutionCompleted" in detail

    assert main_instance(argparse.Namespace(data_dir=str(tmp_path), id="missing")) == 1


def test_no_database_yet(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main_instances(argparse.Namespace(data_dir=str(tmp_path / "none"), status=None)) == 0
    assert "no durable instances" in capsys.readouterr().out
    assert not (tmp_path / "none" / "durable.db").exists()
