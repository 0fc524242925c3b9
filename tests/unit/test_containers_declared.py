"""infra/containers.json creates exactly the Cosmos containers the code opens, with the same keys.

In Azure the adapter cannot create containers (data-plane RBAC), so a container the code opens
but infra/ does not declare fails only once deployed. The code is read, not imported (importing
every context would pull in the ML stack): each `<store>.container(NAME, PK, ...)`,
`open_container(store, NAME, PK, ...)` and `register_outbox(NAME, PK)` call, with NAME and PK
resolved through module constants and `from ... import` chains. A call the reader cannot resolve
fails the test unless its arguments are the enclosing function's parameters or locals (generic
helpers such as `open_container` and the outbox relay).
"""

from __future__ import annotations

import ast
import json
from dataclasses import dataclass
from pathlib import Path

from shared.messaging.inbox import INBOX_CONTAINER

ROOT = Path(__file__).resolve().parents[2]
SOURCE_PACKAGES = ("shared", "functions", "orchestrations", "models")
# Declared in infra for the platform, not opened by our code: the change-feed trigger's leases.
INFRA_ONLY = {"leases"}


@dataclass(frozen=True)
class Call:
    where: str
    args: tuple[ast.expr, ...]
    params: frozenset[str]  # parameters and locals of the enclosing function(s)


class Module:
    def __init__(self, name: str, tree: ast.Module) -> None:
        self.name = name
        self.constants: dict[str, str] = {}
        self.imports: dict[str, tuple[str, str]] = {}
        self.calls: list[Call] = []
        for node in tree.body:
            if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                for target in node.targets:
                    if isinstance(target, ast.Name) and isinstance(node.value.value, str):
                        self.constants[target.id] = node.value.value
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                for alias in node.names:
                    self.imports[alias.asname or alias.name] = (node.module, alias.name)
        self._walk(tree, frozenset())

    def _walk(self, node: ast.AST, params: frozenset[str]) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            a = node.args
            names = [x.arg for x in (*a.posonlyargs, *a.args, *a.kwonlyargs)]
            # Loop variables and other locals too (the relay iterates over the registry).
            names += [
                n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)
            ]
            params = params | frozenset(names)
        if isinstance(node, ast.Call):
            self._record(node, params)
        for child in ast.iter_child_nodes(node):
            self._walk(child, params)

    def _record(self, node: ast.Call, params: frozenset[str]) -> None:
        func, args = node.func, tuple(node.args)
        where = f"{self.name}:{node.lineno}"
        if isinstance(func, ast.Attribute) and func.attr == "container" and len(args) >= 2:
            self.calls.append(Call(where, args[:2], params))  # blob stores take one argument
        elif isinstance(func, ast.Name) and func.id == "open_container" and len(args) >= 3:
            self.calls.append(Call(where, args[1:3], params))
        elif isinstance(func, ast.Name) and func.id == "register_outbox" and len(args) >= 2:
            self.calls.append(Call(where, args[:2], params))


def load_modules() -> dict[str, Module]:
    modules: dict[str, Module] = {}
    for package in SOURCE_PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            modules[name] = Module(name, ast.parse(path.read_text(), str(path)))
    return modules


def resolve(modules: dict[str, Module], module: str, name: str, depth: int = 0) -> str | None:
    m = modules.get(module)
    if m is None or depth > 10:
        return None
    if name in m.constants:
        return m.constants[name]
    if name in m.imports:
        source, original = m.imports[name]
        return resolve(modules, source, original, depth + 1)
    return None


def declared_containers() -> tuple[dict[str, set[str]], list[str]]:
    """{container name: {partition key paths}} and the calls that could not be read."""
    modules = load_modules()
    found: dict[str, set[str]] = {}
    unreadable: list[str] = []
    for m in modules.values():
        for call in m.calls:
            values: list[str] = []
            generic = False
            for arg in call.args:
                if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                    values.append(arg.value)
                elif isinstance(arg, ast.Name) and (value := resolve(modules, m.name, arg.id)) is not None:
                    values.append(value)
                elif isinstance(arg, ast.Name) and arg.id in call.params:
                    generic = True
                else:
                    unreadable.append(f"{call.where}: {ast.unparse(arg)}")
            if len(values) == 2:
                found.setdefault(values[0], set()).add(values[1])
            elif not generic and len(values) != len(call.args):
                continue  # already listed as unreadable
    return found, unreadable


def infra_containers() -> dict[str, dict[str, object]]:
    entries = json.loads((ROOT / "infra" / "containers.json").read_text())["containers"]
    return {entry["name"]: entry for entry in entries}


def test_the_reader_finds_the_contexts_containers() -> None:
    # Guards the reader itself: if it stopped finding calls, the checks below would pass vacuously.
    found, _ = declared_containers()
    assert {"products": {"/productId"}, "inventory": {"/sku"}, INBOX_CONTAINER: {"/handler"}}.items() <= (
        found.items()
    )


def test_every_container_call_is_readable() -> None:
    _, unreadable = declared_containers()
    assert unreadable == [], "use module constants for container names and partition keys"


def test_infra_declares_every_container_the_code_opens_with_its_partition_key() -> None:
    found, _ = declared_containers()
    infra = infra_containers()
    for name, paths in sorted(found.items()):
        assert len(paths) == 1, f"container {name} opened with different partition keys {sorted(paths)}"
        assert name in infra, f"container {name} is opened by the code but missing from infra/containers.json"
        assert infra[name]["partitionKey"] == next(iter(paths)), name


def test_infra_declares_no_container_the_code_does_not_open() -> None:
    found, _ = declared_containers()
    assert set(infra_containers()) - set(found) - INFRA_ONLY == set()


def test_the_inbox_container_has_ttl_on() -> None:
    # Markers carry a per-item `ttl`; Cosmos DB ignores it unless the container's TTL is on.
    ttl = infra_containers()[INBOX_CONTAINER].get("defaultTtl")
    assert isinstance(ttl, int) and (ttl == -1 or ttl > 0)
