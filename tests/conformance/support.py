"""What the conformance tier reads: the real worker's verdict on an app, and the settings sources.

The app is indexed in a subprocess (`python -m devhost check --json`): `get_functions()` may run
only once per app object, and the worker imports the app in a fresh process too.
"""

from __future__ import annotations

import json
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
PRODUCT_APP = "function_app:app"


@cache
def worker_verdict(app: str = PRODUCT_APP) -> dict[str, Any]:
    """{"runtimeVersion", "errors": {name: message}, "functions": [{"name", "metadata"}]}."""
    done = subprocess.run(
        [sys.executable, "-m", "devhost", "check", "--app", app, "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    if done.returncode == 2:
        raise AssertionError(f"the worker runtime is missing: {done.stderr.strip()}")
    assert done.returncode in (0, 1), done.stderr[-3000:]
    verdict: dict[str, Any] = json.loads(done.stdout)
    return verdict


def sample_values() -> dict[str, str]:
    values: dict[str, str] = json.loads((ROOT / "local.settings.sample.json").read_text())["Values"]
    return values


def defined(name: str, names: set[str]) -> bool:
    """A connection `name` is defined by `name` itself (a connection string) or by `name__...`
    entries (an identity-based connection: `SERVICEBUS__fullyQualifiedNamespace`)."""
    return name in names or any(n.startswith(name + "__") for n in names)
