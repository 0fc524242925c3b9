"""The layers of docs/architecture.md, enforced: import-linter's contracts (.importlinter) pass,
and the rules import-linter cannot state precisely are checked here from the source:

- only shared/http and the composition root import `azure.functions` (import-linter sees external
  packages only by their top-level name, `azure`);
- no context imports the composition root (also a layers contract; checked here per file);
- every package in shared/ is either a platform package or a context listed in the contracts;
- no loose modules directly in shared/ besides the composition root and settings;
- no optimistic-concurrency loop written by hand: they all go through `retry_on_conflict`;
- the workflow contract names are functions the app registers.
"""

from __future__ import annotations

import ast
import configparser
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT / "shared"
# Not bounded contexts: the layers under (and the root over) them.
PLATFORM = {"adapters", "http", "kernel", "messaging", "observability", "ports", "storage"}
ALLOWED_LOOSE = {"__init__.py", "composition.py", "settings.py"}
FUNCTIONS_SDK = ("azure.functions", "azure.durable_functions")
# Exceptions that mean "a conditional write lost": catching one inside a loop is a retry loop.
CONFLICTS = {"ETagMismatch", "DocumentExists", "BatchFailed", "StreamConflict", "LedgerConflict"}


def _imports(source: str) -> Iterator[str]:
    """Every module an import statement in `source` names (function-level imports included)."""
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module
            yield from (f"{node.module}.{alias.name}" for alias in node.names)


def _imports_functions_sdk(source: str) -> bool:
    return any(
        name == sdk or name.startswith(sdk + ".") for name in _imports(source) for sdk in FUNCTIONS_SDK
    )


def _imports_root(source: str) -> bool:
    return any(
        name == "shared.composition" or name.startswith("shared.composition.") for name in _imports(source)
    )


def _py_files(*folders: Path) -> list[Path]:
    return sorted(p for folder in folders for p in folder.rglob("*.py") if "__pycache__" not in p.parts)


def _contexts() -> list[str]:
    return sorted(
        p.name
        for p in SHARED.iterdir()
        if p.is_dir() and (p / "__init__.py").exists() and p.name not in PLATFORM
    )


def _config() -> configparser.ConfigParser:
    parser = configparser.ConfigParser()
    parser.read(ROOT / ".importlinter")
    return parser


def test_import_linter_contracts_pass() -> None:
    lint = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint)], cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "BROKEN" not in result.stdout


def test_only_the_http_edge_and_the_root_import_the_functions_sdk() -> None:
    allowed = {SHARED / "composition.py", *_py_files(SHARED / "http")}
    offenders = [
        str(p.relative_to(ROOT))
        for p in _py_files(SHARED, ROOT / "models")
        if p not in allowed and _imports_functions_sdk(p.read_text())
    ]
    assert offenders == []


def test_no_context_imports_the_composition_root() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for name in _contexts()
        for p in _py_files(SHARED / name)
        if _imports_root(p.read_text())
    ]
    offenders += [
        str(p.relative_to(ROOT)) for p in _py_files(ROOT / "models") if _imports_root(p.read_text())
    ]
    assert offenders == []


@pytest.mark.parametrize(
    ("source", "sdk", "root"),
    [
        ("import azure.functions as func\n", True, False),
        ("from azure.functions import HttpRequest\n", True, False),
        ("def f():\n    import azure.durable_functions as df\n", True, False),
        ("from shared.composition import get_document_store\n", False, True),
        ("from shared import composition\n", False, True),
        ("from shared.kernel.errors import NotFound\nimport azure.cosmos\n", False, False),
    ],
)
def test_the_checks_see_what_they_look_for(source: str, sdk: bool, root: bool) -> None:
    # The two checks above must be able to fail: a context module written like these is caught.
    assert _imports_functions_sdk(source) is sdk
    assert _imports_root(source) is root


def test_every_context_is_under_the_contracts() -> None:
    config = _config()
    layers = config["importlinter:contract:layers"]["layers"]
    no_sdk = config["importlinter:contract:no-sdk-in-contexts"]["source_modules"].split()
    for name in _contexts():
        assert f"shared.{name}" in layers, f"add shared.{name} to the contexts layer in .importlinter"
        assert f"shared.{name}" in no_sdk, f"add shared.{name} to no-sdk-in-contexts in .importlinter"


def test_no_loose_modules_in_shared() -> None:
    loose = {p.name for p in SHARED.glob("*.py")} - ALLOWED_LOOSE
    assert loose == set(), "put modules in a context or a platform package (docs/architecture.md)"


def test_function_app_only_imports_triggers() -> None:
    names = set(_imports((ROOT / "function_app.py").read_text()))
    ours = {n for n in names if n.split(".")[0] in {"shared", "models", "devhost", "tools"}}
    assert ours <= {"shared.settings", "shared.settings.refuse_bad_settings_at_start"}


def _goes_round_again(handler: ast.ExceptHandler) -> bool:
    """The handler lets the loop run again (ends in `continue` or falls through), rather than
    leaving it (`return` / `raise` / `break`): that is what makes the loop a retry loop."""
    last = handler.body[-1]
    return not isinstance(last, ast.Return | ast.Raise | ast.Break)


def _hand_written_retry_loops(source: str) -> list[int]:
    """Lines of `for`/`while` loops that catch a write conflict and go round again."""
    found = []
    for loop in ast.walk(ast.parse(source)):
        if not isinstance(loop, ast.For | ast.While):
            continue
        for node in ast.walk(loop):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                break  # a step function defined in a loop is not itself the loop
            if isinstance(node, ast.ExceptHandler) and node.type is not None:
                caught = {n.id for n in ast.walk(node.type) if isinstance(n, ast.Name)}
                caught |= {n.attr for n in ast.walk(node.type) if isinstance(n, ast.Attribute)}
                if caught & CONFLICTS and _goes_round_again(node):
                    found.append(loop.lineno)
                    break
    return found


def test_every_optimistic_loop_uses_retry_on_conflict() -> None:
    offenders = {
        str(p.relative_to(ROOT)): lines
        for p in _py_files(SHARED)
        if p.parent.name != "adapters" and (lines := _hand_written_retry_loops(p.read_text()))
    }
    assert offenders == {}, "use shared.storage.retry.retry_on_conflict"


def test_the_retry_loop_check_can_fail() -> None:
    loop = (
        "for _ in range(20):\n    try:\n        return save()\n    except ETagMismatch:\n        continue\n"
    )
    assert _hand_written_retry_loops(loop) == [1]
    assert (
        _hand_written_retry_loops("for x in xs:\n    try:\n        f()\n    except KeyError:\n        pass\n")
        == []
    )
    # Leaving the loop on a lost race (a send loop that stops when another holder took over) is fine.
    stop = "for n in range(3):\n    try:\n        send()\n    except ETagMismatch:\n        return None\n"
    assert _hand_written_retry_loops(stop) == []


def _durable_functions() -> set[str]:
    """Names of the orchestrators and activities orchestrations/ registers (the decorated def's
    name is the function name unless a `function_name` decorator renames it). Read from the source:
    importing function_app here would register every route in this test process."""
    names = set()
    for path in _py_files(ROOT / "orchestrations"):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            targets = [d.func if isinstance(d, ast.Call) else d for d in node.decorator_list]
            decorators = {t.attr for t in targets if isinstance(t, ast.Attribute)}
            assert "function_name" not in decorators, "extend this check to read function_name"
            if decorators & {"activity_trigger", "orchestration_trigger"}:
                names.add(node.name)
    return names


def test_workflow_contract_names_are_registered_functions() -> None:
    from shared.kernel import workflows

    registered = _durable_functions()
    assert set(workflows.ORCHESTRATORS + workflows.ACTIVITIES) == registered
