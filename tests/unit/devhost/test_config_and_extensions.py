"""local.settings.json / host.json reading, extension loading, seeding markers, the index."""

from __future__ import annotations

import json
from pathlib import Path

import azure.functions as func
import pytest

from devhost import seed
from devhost.config import load_host_json, load_local_settings
from devhost.extensions import load_optional
from devhost.index import HTTP, SERVICE_BUS, TIMER, FunctionIndex


def test_local_settings_values_become_env_but_existing_env_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "local.settings.json").write_text(
        json.dumps({"IsEncrypted": False, "Values": {"DH_A": "from-file", "DH_B": "from-file", "DH_N": 3}})
    )
    monkeypatch.setenv("DH_B", "from-env")
    monkeypatch.delenv("DH_A", raising=False)
    monkeypatch.delenv("DH_N", raising=False)
    applied = load_local_settings(tmp_path)
    import os

    assert (
        os.environ["DH_A"] == "from-file" and os.environ["DH_B"] == "from-env" and os.environ["DH_N"] == "3"
    )
    assert set(applied) == {"DH_A", "DH_N"}


def test_sample_settings_are_the_fallback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DH_SAMPLE", raising=False)
    (tmp_path / "local.settings.sample.json").write_text(json.dumps({"Values": {"DH_SAMPLE": "x"}}))
    assert load_local_settings(tmp_path) == {"DH_SAMPLE": "x"}


def test_host_json_route_prefix_and_concurrency(tmp_path: Path) -> None:
    assert load_host_json(tmp_path).route_prefix == "api"
    (tmp_path / "host.json").write_text(
        json.dumps({"extensions": {"http": {"routePrefix": ""}, "serviceBus": {"maxConcurrentCalls": 3}}})
    )
    config = load_host_json(tmp_path)
    assert config.route_prefix == "" and config.max_concurrent_calls == 3


def test_missing_optional_extension_is_skipped_but_broken_one_fails() -> None:
    assert load_optional("devhost.no_such_module:Thing") is None
    with pytest.raises(AttributeError):
        load_optional("devhost.seed:NoSuchAttribute")


def test_seeders_run_once_and_failures_retry(tmp_path: Path) -> None:
    assert seed.needs_seed(tmp_path)
    assert not seed.run_seeders(tmp_path, ["devhost.no_such_module:seed"])
    assert seed.needs_seed(tmp_path)
    assert seed.run_seeders(tmp_path, [])
    assert not seed.needs_seed(tmp_path)


def test_index_groups_by_trigger_and_names_parameters() -> None:
    app = func.FunctionApp()

    @app.route("a")
    def a(req: func.HttpRequest) -> str:
        return "a"

    @app.service_bus_queue_trigger(arg_name="message", queue_name="q", connection="SB")
    def b(message: func.ServiceBusMessage) -> None:
        return None

    @app.timer_trigger(arg_name="timer", schedule="0 * * * * *")
    async def c(timer: func.TimerRequest) -> None:
        return None

    index = FunctionIndex.from_app(app)
    assert index.summary() == {HTTP: 1, SERVICE_BUS: 1, TIMER: 1}
    assert index.by_trigger(SERVICE_BUS)[0].param_name == "message"
    fc = index.get("c")
    assert fc is not None and fc.is_async and fc.input_bindings() == []
    assert index.get("a") is not None and not index.get("a").is_async  # type: ignore[union-attr]


def test_an_extension_named_twice_or_already_a_default_service_is_loaded_once() -> None:
    from devhost.cli import service_list
    from devhost.services import ServiceSpec

    defaults = [ServiceSpec("pkg.a:Ext"), ServiceSpec("pkg.b:pump", every_seconds=1.0)]
    services = service_list(defaults, ["pkg.a:Ext", "pkg.c:Ext", "pkg.c:Ext"])
    assert [s.target for s in services] == ["pkg.a:Ext", "pkg.b:pump", "pkg.c:Ext"]
