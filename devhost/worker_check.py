"""The real Python worker's indexing, run over an app's functions: what Azure would refuse to load.

Azure and `func start` load a v2 Python app through the language worker, whose library half is the
`azure-functions-runtime` package. At start it indexes every function with
`azure_functions_runtime.loader.process_indexed_function` (which calls
`Registry.add_indexed_function`), and the first `FunctionLoadError` fails the whole indexing step:
then **no** function of the app loads. devhost imports the app its own way, so without this check it
would happily serve an app Azure refuses (issue 19: activity triggers annotated `dict[str, Any]`).

The package is installed for development only, never deployed (Azure brings its own worker): it
declares Python >= 3.13 and depends on `azurefunctions-extensions-base`, but its indexing code runs
on 3.11 and needs neither, so `make install` puts it in the side folder `.worker-runtime/`
(git-ignored) with `pip install --no-deps --ignore-requires-python --target`. Each function is
indexed on its own so that every error is reported, not only the first.

`python -m devhost check [--app module:attr] [--json]` prints what the worker says.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

RUNTIME_DIR = Path(__file__).resolve().parents[1] / ".worker-runtime"
PACKAGE = "azure-functions-runtime"


class _Record:
    """A protobuf message stand-in: keeps its keyword fields (the worker only builds and passes them)."""

    def __init__(self, **fields: Any) -> None:
        self.__dict__.update(fields)


class _BindingInfo(_Record):
    # The worker compares bindings with these enum values of the host's FunctionRpc.proto
    # (BindingInfo.Direction: in, out, inout; BindingInfo.DataType: undefined, string, binary, stream).
    out = 1
    inout = 2
    undefined = 0
    string = 1
    binary = 2
    stream = 3


setattr(_BindingInfo, "in", 0)  # `in` is a keyword, as it is for the generated proto class


class _Protos:
    """What the indexing code uses of the gRPC `protos` module the proxy worker hands it.

    Not covered: the protobuf messages themselves (their serialization is the host's business, and
    the generated module is not published on PyPI). The checks that refuse functions are all in the
    worker's Python code, which is what runs here."""

    BindingInfo = _BindingInfo
    RpcFunctionMetadata = _Record
    RpcRetryOptions = _Record


@dataclass
class IndexReport:
    runtime_version: str
    functions: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # function name -> the worker's message

    @property
    def ok(self) -> bool:
        return not self.errors

    def message(self) -> str:
        lines = [
            f"the Azure Functions Python worker ({PACKAGE} {self.runtime_version}) refuses "
            f"{len(self.errors)} of {len(self.functions)} functions; in Azure and under `func start` "
            "no function of this app would load:"
        ]
        lines += [f"  FunctionLoadError: {text}" for text in self.errors.values()]
        return "\n".join(lines)


class UnloadableApp(Exception):
    def __init__(self, report: IndexReport) -> None:
        super().__init__(report.message())
        self.report = report


def load_runtime() -> ModuleType | None:
    """`azure_functions_runtime.loader` from the side folder (or the environment), or None."""
    if RUNTIME_DIR.is_dir() and str(RUNTIME_DIR) not in sys.path:
        sys.path.append(str(RUNTIME_DIR))  # appended: it must never shadow the app's own packages
    try:
        return importlib.import_module("azure_functions_runtime.loader")
    except ImportError:
        return None


def runtime_version() -> str:
    for dist in importlib.metadata.distributions(path=[str(RUNTIME_DIR), *sys.path]):
        if dist.metadata["Name"] == PACKAGE:
            return str(dist.version)
    return "unknown"


def index(functions: Iterable[Any], loader: ModuleType | None = None) -> IndexReport:
    """Index each SDK function object (`app.get_functions()`) with the worker's own code."""
    loader = loader or load_runtime()
    if loader is None:
        raise RuntimeError(f"{PACKAGE} is not installed (make install puts it in {RUNTIME_DIR.name}/)")
    from azure_functions_runtime.bindings import meta
    from azure_functions_runtime.functions import FunctionLoadError, Registry

    meta.load_binding_registry()  # what worker_init_request does before indexing
    report = IndexReport(runtime_version())
    for fn in functions:
        name = fn.get_function_name()
        report.functions.append(name)
        directory = str(Path(getattr(fn, "function_script_file", "") or ".").parent)
        try:
            loader.process_indexed_function(_Protos, Registry(), [fn], directory)
        except FunctionLoadError as exc:
            report.errors[name] = str(exc)
    return report


def refuse_unloadable(functions: Iterable[Any]) -> IndexReport | None:
    """Raise UnloadableApp if the worker would refuse a function; None if the worker is not installed."""
    loader = load_runtime()
    if loader is None:
        return None
    report = index(functions, loader)
    if not report.ok:
        raise UnloadableApp(report)
    return report


def main_check(app_spec: str, as_json: bool) -> int:
    """`python -m devhost check`: index the app and print the worker's verdict (and, with --json,
    every function's generated metadata: `get_function_json()`)."""
    from devhost.index import load_app

    app = load_app(app_spec)
    functions = app.get_functions()
    loader = load_runtime()
    if loader is None:
        print(f"{PACKAGE} is not installed: run `make install`", file=sys.stderr)
        return 2
    report = index(functions, loader)
    if as_json:
        out = {
            "runtimeVersion": report.runtime_version,
            "errors": report.errors,
            "functions": [
                {"name": fn.get_function_name(), "metadata": json.loads(fn.get_function_json())}
                for fn in functions
            ],
        }
        print(json.dumps(out, indent=2))
    elif report.ok:
        print(f"{len(report.functions)} functions load on {PACKAGE} {report.runtime_version}")
    else:
        print(report.message(), file=sys.stderr)
    return 0 if report.ok else 1
