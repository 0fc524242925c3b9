"""The app loads on the real Azure Functions Python worker.

Runs the worker's own indexing code (`azure-functions-runtime`: `loader.process_indexed_function`
-> `Registry.add_indexed_function`, the code Azure and `func start` run at start) over every
function of `function_app`, through `python -m devhost check` (devhost/worker_check.py). One
`FunctionLoadError` there fails the whole indexing in Azure, so any error fails this test.

The package declares Python >= 3.13, but its indexing code runs on 3.11: `make install` installs it
with `pip install --no-deps --ignore-requires-python --target .worker-runtime` (a git-ignored side
folder, never deployed). Not covered: the host's own (.NET) checks and the protobuf messages, for
which devhost/worker_check.py passes a stand-in with the proto's enum values.
"""

from __future__ import annotations

from pathlib import Path

from devhost import worker_check
from tests.conformance.support import worker_verdict

UNLOADABLE_APP = "tests.e2e.apps.unloadable_app:app"


def test_the_worker_runtime_is_installed_in_the_side_folder() -> None:
    loader = worker_check.load_runtime()
    assert loader is not None, "azure-functions-runtime is missing: run `make install`"
    assert Path(str(loader.__file__)).is_relative_to(worker_check.RUNTIME_DIR), loader.__file__
    major, minor = (int(part) for part in worker_check.runtime_version().split(".")[:2])
    assert (major, minor) >= (1, 3)


def test_every_function_of_the_app_loads_on_the_real_worker() -> None:
    verdict = worker_verdict()
    assert verdict["errors"] == {}, "\n".join(verdict["errors"].values())
    names = [f["name"] for f in verdict["functions"]]
    assert len(names) >= 70, names  # all of them were indexed, not an empty app


def test_the_check_reports_what_the_worker_refuses() -> None:
    """The tier can fail: an app with the annotation Azure refused (issue 19) and an unbound
    parameter gets the worker's own messages, one per function, and the loadable one passes."""
    verdict = worker_verdict(UNLOADABLE_APP)
    assert set(verdict["errors"]) == {"broken_activity", "unbound_parameter"}
    assert verdict["errors"]["broken_activity"] == (
        "cannot load the broken_activity function: "
        "binding payload has invalid non-type annotation dict[str, typing.Any]"
    )
    assert "declared in Python but not in the function definition" in verdict["errors"]["unbound_parameter"]
    assert [f["name"] for f in verdict["functions"]] == ["ping", "broken_activity", "unbound_parameter"]
