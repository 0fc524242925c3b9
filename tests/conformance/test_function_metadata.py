"""The function metadata the worker hands the host (`get_function_json()` of every function) is
something the host can run with the settings each environment gets.

- every trigger's `connection` names a setting that local.settings.sample.json (`func start`),
  shared/settings.py (the code's own client) and main.bicep's app settings (Azure) all define;
  other bindings' connections (SignalR's `connectionStringSetting`) are host-only settings, so the
  sample and Bicep define them and infra/README.md lists them;
- timer schedules are six-field NCRONTAB (seconds first; the TimeSpan form does not run on
  Consumption / Flex Consumption), also after `%SETTING%` is resolved in each environment;
- no two functions share a name (the host compares them case-insensitively) and no function binds
  one name twice.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from devhost.ncrontab import parse
from shared.settings import Settings, env_names
from tests.conformance.support import defined, sample_values, worker_verdict
from tests.unit.test_infra import app_settings, host_only, literal_value

SETTING_REF = re.compile(r"^%([A-Za-z0-9_]+)%$")


def bindings() -> list[tuple[str, dict[str, Any]]]:
    return [(f["name"], b) for f in worker_verdict()["functions"] for b in f["metadata"]["bindings"]]


def connection_of(binding: dict[str, Any]) -> str | None:
    return binding.get("connection") or binding.get("connectionStringSetting")


def test_every_trigger_connection_is_defined_in_all_three_places() -> None:
    triggers = [(fn, b) for fn, b in bindings() if b["type"].endswith("Trigger") and connection_of(b)]
    assert triggers, "no trigger with a connection found: the probe read nothing"
    sources = {
        "local.settings.sample.json": set(sample_values()),
        "shared/settings.py": env_names(),
        "infra/main.bicep appSettings": set(app_settings()),
    }
    missing = [
        f"{fn}: {b['type']} connection {connection_of(b)!r} not in {where}"
        for fn, b in triggers
        for where, names in sources.items()
        if not defined(str(connection_of(b)), names)
    ]
    assert missing == []


def test_other_binding_connections_are_host_settings_of_the_sample_and_bicep() -> None:
    others = {
        str(connection_of(b)) for _, b in bindings() if not b["type"].endswith("Trigger") and connection_of(b)
    }
    assert others, "expected the SignalR bindings' connection"
    for name in sorted(others):
        assert defined(name, set(sample_values())), f"{name} missing from local.settings.sample.json"
        assert defined(name, set(app_settings())), f"{name} missing from main.bicep appSettings"
        documented = {n for n in host_only() if n == name or n.startswith(name + "__")}
        assert documented or name in env_names(), f"{name} is not listed in infra/README.md host-only"


def test_durable_and_timer_triggers_have_host_storage_everywhere() -> None:
    # Durable task hub and timer leases live in AzureWebJobsStorage (identity form in Azure).
    assert sample_values()["AzureWebJobsStorage"], "func start needs host storage (Azurite)"
    assert "AzureWebJobsStorage__accountName" in app_settings()


def _resolved_schedules(schedule: str) -> dict[str, str]:
    """Where a schedule comes from -> the expression the host would use there."""
    ref = SETTING_REF.match(schedule)
    if ref is None:
        return {"the decorator": schedule}
    name = ref.group(1)
    fields = {str(f.validation_alias.choices[0]): f for f in Settings.model_fields.values()}  # type: ignore[union-attr]
    assert name in fields, f"%{name}% is not a Settings field"
    bicep = app_settings().get(name, "")
    literal = literal_value(bicep)
    assert literal is not None, f"main.bicep must set {name} to a literal or a parameter default: {bicep!r}"
    return {
        "Settings default": str(fields[name].default),
        "local.settings.sample.json": sample_values()[name],
        "main.bicep": literal,
    }


def timer_schedules() -> list[tuple[str, str]]:
    return [(fn, b["schedule"]) for fn, b in bindings() if b["type"] == "timerTrigger"]


def test_timer_schedules_are_six_field_ncrontab_in_every_environment() -> None:
    timers = timer_schedules()
    assert len(timers) >= 3, timers
    problems = []
    for fn, schedule in timers:
        for where, expression in _resolved_schedules(schedule).items():
            if len(expression.split()) != 6:
                problems.append(f"{fn}: {where} gives {expression!r}, not 6 fields")
                continue
            try:
                parse(expression)  # ranges and names valid (devhost's NCRONTAB parser)
            except ValueError as exc:
                problems.append(f"{fn}: {where} gives {expression!r}: {exc}")
    assert problems == []


def test_function_names_are_unique_ignoring_case() -> None:
    names = Counter(f["name"].lower() for f in worker_verdict()["functions"])
    assert [n for n, count in names.items() if count > 1] == []


def test_no_function_binds_a_name_twice() -> None:
    for function in worker_verdict()["functions"]:
        names = Counter(b["name"] for b in function["metadata"]["bindings"])
        assert [n for n, count in names.items() if count > 1] == [], function["name"]
