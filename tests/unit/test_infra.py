"""infra/ stays in step with the code, and is checked as far as possible without a Bicep compiler.

No Bicep CLI installs offline here (see infra/README.md), so these tests do the checks that catch
the usual mistakes: unbalanced brackets, a module parameter passed but not declared (or required
but not passed), a missing output or file, an app setting the code does not read, a setting the
code reads that Azure never gets, and a messaging.json / containers.json entry the loops cannot use.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from shared.settings import Settings, env_names, get_settings, reset_settings_cache

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"
MAIN = INFRA / "main.bicep"
BICEP_FILES = sorted(INFRA.rglob("*.bicep"))


# --- a small Bicep reader -------------------------------------------------------------------------


def code_only(src: str) -> str:
    """`src` with comments and string contents blanked out (same length, newlines kept).

    Code inside `${...}` interpolations is kept, so brackets and references in it still count.
    """
    out = list(src)
    modes: list[str] = []  # 'str' (inside '...'), 'interp' / 'brace' (code braces)
    i, n = 0, len(src)

    def blank(start: int, end: int) -> None:
        for k in range(start, min(end, n)):
            if out[k] != "\n":
                out[k] = " "

    while i < n:
        in_string = bool(modes) and modes[-1] == "str"
        c = src[i]
        if in_string:
            if c == "\\":
                blank(i, i + 2)
                i += 2
            elif src.startswith("${", i):
                blank(i, i + 2)
                modes.append("interp")
                i += 2
            else:
                if c == "'":
                    modes.pop()
                blank(i, i + 1)
                i += 1
        elif src.startswith("//", i):
            end = src.find("\n", i)
            end = n if end < 0 else end
            blank(i, end)
            i = end
        elif src.startswith("/*", i) or src.startswith("'''", i):
            closer = "*/" if c == "/" else "'''"
            end = src.find(closer, i + len(closer))
            end = n if end < 0 else end + len(closer)
            blank(i, end)
            i = end
        else:
            if c == "'":
                modes.append("str")
                blank(i, i + 1)
            elif c == "{":
                modes.append("brace")
            elif c == "}" and modes and modes[-1] == "interp":
                modes.pop()
                blank(i, i + 1)
            elif c == "}" and modes and modes[-1] == "brace":
                modes.pop()
            i += 1
    return "".join(out)


def matching_close(code: str, open_at: int) -> int:
    depth = 0
    for k in range(open_at, len(code)):
        if code[k] in "{[(":
            depth += 1
        elif code[k] in "}])":
            depth -= 1
            if depth == 0:
                return k
    raise AssertionError(f"no closing bracket for position {open_at}")


def top_level_keys(code: str, open_at: int) -> set[str]:
    """Keys of the object literal whose `{` is at `open_at` (nested objects' keys excluded)."""
    body = code[open_at + 1 : matching_close(code, open_at)]
    keys: set[str] = set()
    depth = 0
    for line in body.splitlines():
        match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*:", line)
        if depth == 0 and match:
            keys.add(match.group(1))
        depth += sum(line.count(c) for c in "{[(") - sum(line.count(c) for c in "}])")
    return keys


def declared_params(path: Path) -> dict[str, bool]:
    """param name -> has a default."""
    text = code_only(path.read_text())
    return {m.group(1): bool(m.group(2)) for m in re.finditer(r"^param\s+(\w+)\s+\w+(\s*=)?", text, re.M)}


def declared_outputs(path: Path) -> set[str]:
    return set(re.findall(r"^output\s+(\w+)\s", path.read_text(), re.M))


def module_calls(path: Path) -> list[tuple[str, Path, set[str]]]:
    """(symbol, module file, parameter names passed) for every `module` in a Bicep file."""
    src = path.read_text()
    code = code_only(src)
    calls = []
    for m in re.finditer(r"^module\s+(\w+)\s+'([^']+)'\s*=\s*\{", src, re.M):
        block_end = matching_close(code, m.end() - 1)
        params_at = code.find("params:", m.end(), block_end)
        passed = top_level_keys(code, code.index("{", params_at)) if params_at >= 0 else set()
        calls.append((m.group(1), (path.parent / m.group(2)).resolve(), passed))
    return calls


def app_settings() -> dict[str, str]:
    """main.bicep's `var appSettings` entries: name -> Bicep value expression."""
    src = MAIN.read_text()
    code = code_only(src)
    start = code.index("var appSettings")
    end = code.index("\nmodule ", start)
    found: dict[str, str] = {}
    for line_code, line_src in zip(code[start:end].splitlines(), src[start:end].splitlines(), strict=True):
        match = re.match(r"\s*([A-Za-z_][A-Za-z0-9_]*)\s*:", line_code)
        if match:
            found[match.group(1)] = line_src[match.end() :].strip()
    return found


def param_defaults(path: Path = MAIN) -> dict[str, str]:
    """Parameters with a literal default (string, int or bool) -> that default, as app-setting text."""
    found = {}
    for m in re.finditer(
        r"^param\s+(\w+)\s+(?:string|int|bool)\s*=\s*('([^'$]*)'|-?\d+|true|false)\s*$",
        path.read_text(),
        re.M,
    ):
        found[m.group(1)] = m.group(3) if m.group(3) is not None else m.group(2)
    return found


def literal_value(expression: str) -> str | None:
    """The text an app setting gets when its Bicep value is a literal, a parameter with a literal
    default, or `string(<such a parameter>)`; None when it comes from a deployment output."""
    literal = re.fullmatch(r"'([^'$]*)'", expression)
    if literal:
        return literal.group(1)
    param = re.fullmatch(r"(?:string\()?(\w+)\)?", expression)
    return param_defaults().get(param.group(1)) if param else None


def readme_table(heading: str) -> set[str]:
    """Backticked names in the first column of the table under a `### heading` of infra/README.md."""
    section = (INFRA / "README.md").read_text().split(f"### {heading}\n", 1)[1].split("\n#", 1)[0]
    return set(re.findall(r"^\|\s*`([^`]+)`\s*\|", section, re.M))


def host_only() -> set[str]:
    return readme_table("Host-only app settings")


def not_in_azure() -> set[str]:
    return readme_table("Settings the app does not get in Azure")


def load_json(name: str) -> Any:
    return json.loads((INFRA / name).read_text())


# --- the reader itself ----------------------------------------------------------------------------


def test_code_only_blanks_strings_and_comments_but_keeps_interpolated_code() -> None:
    src = "var a = 'x{ ${b.outputs.c} \\' }' // {\nvar d = { e: '''{'''\n}"
    code = code_only(src)
    assert len(code) == len(src)
    assert "b.outputs.c" in code
    assert "x{" not in code and "// {" not in code and "'''" not in code
    assert code.count("{") == code.count("}") == 1


# --- Bicep structure ------------------------------------------------------------------------------


def test_there_is_a_main_and_the_expected_modules() -> None:
    names = {p.relative_to(INFRA).as_posix() for p in BICEP_FILES}
    assert {"main.bicep", "app/rbac.bicep", "modules/functionapp.bicep", "modules/cosmos.bicep"} <= names
    assert {"modules/servicebus.bicep", "modules/storage.bicep", "modules/keyvault.bicep"} <= names
    assert {"modules/monitoring.bicep", "modules/apim.bicep"} <= names


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.relative_to(INFRA).as_posix())
def test_brackets_balance_outside_strings_and_comments(path: Path) -> None:
    pairs = {")": "(", "]": "[", "}": "{"}
    stack: list[tuple[str, int]] = []
    code = code_only(path.read_text())
    for index, char in enumerate(code):
        line = code.count("\n", 0, index) + 1
        if char in "([{":
            stack.append((char, line))
        elif char in pairs:
            assert stack and stack[-1][0] == pairs[char], f"unexpected {char!r} on line {line}"
            stack.pop()
    assert not stack, f"unclosed {stack[-1][0]!r} from line {stack[-1][1]}"


@pytest.mark.parametrize("path", BICEP_FILES, ids=lambda p: p.relative_to(INFRA).as_posix())
def test_loaded_files_exist_and_json_parses(path: Path) -> None:
    for func, rel in re.findall(r"(loadJsonContent|loadTextContent)\('([^']+)'\)", path.read_text()):
        target = (path.parent / rel).resolve()
        assert target.is_file(), f"{path.name}: {func} of a missing file {rel}"
        if func == "loadJsonContent":
            json.loads(target.read_text())


def test_module_calls_match_the_modules_parameters_and_outputs() -> None:
    for path in BICEP_FILES:
        calls = module_calls(path)
        for symbol, module, passed in calls:
            assert module.is_file(), f"{path.name}: module {symbol} points at a missing {module}"
            params = declared_params(module)
            assert passed - set(params) == set(), f"{symbol}: passes parameters {module.name} lacks"
            required = {name for name, has_default in params.items() if not has_default}
            assert required - passed == set(), f"{symbol}: required parameters of {module.name} not passed"
        code = code_only(path.read_text())
        for symbol, module, _ in calls:
            used = set(re.findall(rf"\b{symbol}\.outputs\.(\w+)", code))
            missing = used - declared_outputs(module)
            assert missing == set(), f"{path.name}: {symbol}.outputs.{missing} not declared in {module.name}"


def test_main_is_wired_to_every_module() -> None:
    called = {module for _, module, _ in module_calls(MAIN)}
    modules = {p.resolve() for p in BICEP_FILES if p != MAIN}
    assert modules - called == set(), "a module main.bicep never deploys"


def test_parameters_file_names_declared_parameters_and_all_required_ones() -> None:
    given = set(load_json("main.parameters.json")["parameters"])
    params = declared_params(MAIN)
    assert given - set(params) == set()
    assert {name for name, has_default in params.items() if not has_default} - given == set()


def test_apim_policy_is_xml_with_validate_jwt_and_named_values_that_exist() -> None:
    import xml.etree.ElementTree as ET

    policy_text = (INFRA / "modules" / "apim-api-policy.xml").read_text()
    root = ET.fromstring(policy_text)
    jwt = root.find("./inbound//validate-jwt")
    assert jwt is not None and jwt.find("openid-config") is not None
    apim = (INFRA / "modules" / "apim.bicep").read_text()
    for named in set(re.findall(r"\{\{([A-Za-z0-9-]+)\}\}", policy_text)):
        assert f"'{named}':" in apim, f"policy uses named value {named} that apim.bicep does not define"


# --- app settings against shared/settings.py ------------------------------------------------------


def test_every_app_setting_is_read_by_settings_or_documented_host_only() -> None:
    unknown = set(app_settings()) - env_names() - host_only()
    assert unknown == set(), "app settings nobody reads (add to Settings or infra/README.md host-only table)"


def test_every_setting_is_set_in_azure_or_documented_as_not_needed_there() -> None:
    set_in_azure = set(app_settings())
    missing = env_names() - set_in_azure - not_in_azure()
    assert missing == set(), "Settings fields Azure never gets: add them to main.bicep or infra/README.md"
    assert not_in_azure() - env_names() == set(), "README lists settings that no longer exist"
    assert not_in_azure() & set_in_azure == set(), "README says not set in Azure, but main.bicep sets it"
    assert host_only() & env_names() == set(), "a Settings name is listed as host-only"


def test_identity_based_connections_and_key_vault_reference() -> None:
    settings = app_settings()
    for name in ("COSMOS__accountEndpoint", "SERVICEBUS__fullyQualifiedNamespace", "STORAGE__blobServiceUri"):
        assert name in settings
    assert "AzureWebJobsStorage__accountName" in settings
    assert "AzureWebJobsStorage" not in settings, "host storage must use the identity, not a key"
    assert settings["CARD_VAULT_KEY"].startswith("'@Microsoft.KeyVault(")


def test_literal_app_settings_pass_the_production_validator(monkeypatch: pytest.MonkeyPatch) -> None:
    """SC_ENV=production plus what main.bicep sets must be settings the app accepts (no typo'd modes)."""
    for name in env_names():
        monkeypatch.delenv(name, raising=False)
    fields = {str(f.validation_alias.choices[0]): f for f in Settings.model_fields.values()}  # type: ignore[union-attr]
    for name, expression in app_settings().items():
        literal = literal_value(expression)  # parameter defaults count: they are what azd deploys
        if literal is not None:
            monkeypatch.setenv(name, literal)
        elif name in fields and fields[name].annotation is str:
            monkeypatch.setenv(name, "https://placeholder.example/from-a-deployment-output")
    reset_settings_cache()  # get_settings() rather than Settings(): mypy sees no aliases on __init__
    try:
        settings = get_settings()
    finally:
        reset_settings_cache()
    assert settings.environment == "production"
    assert (settings.document_store, settings.blob_store, settings.event_bus) == (
        "cosmos",
        "azure",
        "servicebus",
    )
    # Nothing configured for the notification channels: they are off, not failing at first send.
    assert (settings.notify_email_channel, settings.notify_sms_channel, settings.notify_push_channel) == (
        "off",
        "off",
        "off",
    )


def test_literal_value_reads_literals_and_parameter_defaults() -> None:
    assert literal_value("'0 * * * * *'") == "0 * * * * *"
    assert literal_value("notifyEmailChannel") == "off"
    assert literal_value("string(smtpPort)") == "587"
    assert literal_value("cosmos.outputs.endpoint") is None
    assert literal_value("authIssuer") is None  # required parameter: no default


# --- containers.json and messaging.json against the loops that read them --------------------------


def fields_read(bicep: str, loop_variable: str) -> set[str]:
    """Fields a Bicep loop reads from each item without `.?` (i.e. the ones the item must have)."""
    return set(re.findall(rf"\b{loop_variable}\.(\w+)", code_only((INFRA / bicep).read_text())))


def test_cosmos_containers_come_from_containers_json() -> None:
    bicep = (INFRA / "modules" / "cosmos.bicep").read_text()
    assert "loadJsonContent('../containers.json')" in bicep
    assert "for container in containerSpec.containers" in bicep
    entries = load_json("containers.json")["containers"]
    names = [entry["name"] for entry in entries]
    assert len(names) == len(set(names)), "duplicate container"
    assert {"products", "inventory", "users", "orders", "payments", "notifications", "leases"} <= set(names)
    for entry in entries:
        assert fields_read("modules/cosmos.bicep", "container") <= set(entry), entry
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,254}", entry["name"]), entry
        assert re.fullmatch(r"(/[A-Za-z_][A-Za-z0-9_]*)+", entry["partitionKey"]), entry


def messaging_problems(messaging: dict[str, Any]) -> list[str]:
    """What Service Bus (or the generated SQL filter) would refuse in a messaging.json document."""
    problems: list[str] = []
    entity = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
    if not entity.fullmatch(str(messaging.get("topic", ""))):
        problems.append("topic name")
    subs, queues = messaging.get("subscriptions", []), messaging.get("queues", [])
    for kind, items, max_len in (("subscription", subs, 50), ("queue", queues, 260)):
        names = [item.get("name", "") for item in items]
        if len(names) != len(set(names)):
            problems.append(f"duplicate {kind} name")
        for item in items:
            if not (entity.fullmatch(item.get("name", "")) and len(item["name"]) <= max_len):
                problems.append(f"{kind} name {item.get('name')!r}")
            if not 1 <= item.get("maxDeliveryCount", 0) <= 2000:
                problems.append(f"{kind} {item.get('name')}: maxDeliveryCount must be 1..2000")
            if not 5 <= item.get("lockDurationSeconds", 60) <= 300:
                problems.append(f"{kind} {item.get('name')}: lockDurationSeconds must be 5..300")
    for sub in subs:
        types = sub.get("eventTypes", [])
        # Quotes or spaces in a type would break the generated `user.type IN ('A', 'B')` filter.
        if not types or (
            types != ["*"] and not all(re.fullmatch(r"[A-Za-z][A-Za-z0-9.]*", t) for t in types)
        ):
            problems.append(f'subscription {sub.get("name")}: eventTypes must be ["*"] or event type names')
    return problems


def test_messaging_checker_finds_what_service_bus_would_refuse() -> None:
    good = {
        "topic": "smartcommerce-events",
        "subscriptions": [
            {"name": "audit", "eventTypes": ["*"], "maxDeliveryCount": 10, "lockDurationSeconds": 60}
        ],
        "queues": [{"name": "emails", "maxDeliveryCount": 5}],
    }
    assert messaging_problems(good) == []
    bad = json.loads(json.dumps(good))
    bad["subscriptions"].append(dict(bad["subscriptions"][0], eventTypes=["Order'Created"]))
    bad["queues"][0]["maxDeliveryCount"] = 0
    bad["subscriptions"][0]["lockDurationSeconds"] = 600
    assert len(messaging_problems(bad)) == 4  # duplicate name, quote, delivery count, lock


def test_service_bus_entities_are_generated_by_looping_over_messaging_json() -> None:
    bicep = code_only((INFRA / "modules" / "servicebus.bicep").read_text())
    source = (INFRA / "modules" / "servicebus.bicep").read_text()
    assert "loadJsonContent('../messaging.json')" in source
    assert "name: messaging.topic" in bicep
    assert re.search(r"=\s*\[\s*for sub in messaging\.subscriptions\s*:", bicep), "no subscription loop"
    assert re.search(r"=\s*\[\s*for \(sub, i\) in messaging\.subscriptions\s*:", bicep), "no filter loop"
    assert re.search(r"=\s*\[\s*for queue in messaging\.queues\s*:", bicep), "no queue loop"
    assert "user.type IN" in source, "subscriptions must filter on the `type` application property"


def test_messaging_json_has_what_the_loops_read_and_service_bus_accepts() -> None:
    path = INFRA / "messaging.json"
    if not path.is_file():
        pytest.fail("infra/messaging.json is missing: servicebus.bicep cannot be built without it")
    messaging = load_json("messaging.json")
    assert messaging_problems(messaging) == []
    for sub in messaging["subscriptions"]:
        assert fields_read("modules/servicebus.bicep", "sub") <= set(sub), sub
    for queue in messaging["queues"]:
        assert fields_read("modules/servicebus.bicep", "queue") <= set(queue), queue
    # Azure gets SERVICEBUS_TOPIC from messaging.json; the development default must agree with it.
    assert Settings.model_fields["servicebus_topic"].default == messaging["topic"]
