"""requirements.txt (what Azure's remote build installs) declares every distribution the deployed
code imports, directly: a package that only arrives as another's dependency (`onnx` via skl2onnx)
disappears the day that other package drops it.

Deployed code = what .funcignore leaves in the package: function_app.py, functions/, orchestrations/,
shared/, models/. Imports are read from the source (ast), lazy ones inside functions included.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import sys

from tests.conformance.support import ROOT

DEPLOYED = ("function_app.py", "functions", "orchestrations", "shared", "models")
FIRST_PARTY = {"function_app", "functions", "orchestrations", "shared", "models"}
# pydantic pins its pydantic-core exactly; declaring it separately would only fight that pin.
COMES_WITH = {"pydantic_core": "pydantic"}


def imported_top_level_modules() -> dict[str, str]:
    """Top-level module -> one file that imports it."""
    found: dict[str, str] = {}
    for entry in DEPLOYED:
        path = ROOT / entry
        for source in [path] if path.is_file() else sorted(path.rglob("*.py")):
            for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    found.setdefault(name.split(".")[0], str(source.relative_to(ROOT)))
    return found


def declared() -> set[str]:
    names = set()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line and not line.startswith("-"):
            names.add(normalize(re.split(r"[\s\[<>=!~;]", line, maxsplit=1)[0]))
    return names


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_every_imported_distribution_is_in_requirements_txt() -> None:
    modules = imported_top_level_modules()
    distributions = importlib.metadata.packages_distributions()
    missing = []
    for module, where in sorted(modules.items()):
        if module in FIRST_PARTY or module in sys.stdlib_module_names or module == "__future__":
            continue
        owners = {normalize(d) for d in distributions.get(module, [])}
        assert owners, f"{module} (imported by {where}) belongs to no installed distribution"
        if module in COMES_WITH and normalize(COMES_WITH[module]) in declared():
            continue
        if not owners & declared():
            missing.append(f"{module} ({where}) from {sorted(owners)}")
    assert missing == [], "imported but not declared in requirements.txt"


def test_the_check_sees_the_direct_onnx_import() -> None:
    assert "onnx" in imported_top_level_modules()
    assert "onnx" in declared()
