"""The seam for in-host extensions: the durable engine and in-host services (outbox relay, ...).

An extension is constructed without arguments, then `await ext.start(host)` once the function
index exists and before the HTTP server listens (its routes are mounted on the same server).
`host` is a `devhost.host.Host` and offers:

- `host.functions`: the FunctionIndex (`by_trigger("orchestrationTrigger")`, `get(name)`, ...)
- `await host.invoke(fn_info, **kwargs)`: call a function (sync ones in the thread pool, async
  ones on the host loop); input bindings not passed are filled by the binding providers
- `host.loop`, `host.base_url` (e.g. "http://127.0.0.1:7071"), `host.data_dir` (Path),
  `host.settings` (shared.settings.Settings), `host.config` (host.json: HostConfig),
  `host.bus` (the LocalBus)
- `host.every(seconds, fn)`: run `fn` (sync or async, no arguments) periodically until shutdown

`binding_value(fn, binding)` is asked for every non-trigger input binding of a function being
invoked (e.g. `{"type": "durableClient", "name": "client", ...}`); return the value to pass,
or None when the binding is not yours. Extensions stop in reverse order at shutdown, after the
HTTP server and the triggers have stopped.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from aiohttp import web

from devhost.index import FunctionInfo

if TYPE_CHECKING:
    from devhost.host import Host

log = logging.getLogger("devhost")

DURABLE_EXTENSION = "devhost.durable.extension:DurableExtension"


@runtime_checkable
class HostExtension(Protocol):
    name: str

    async def start(self, host: Host) -> None: ...

    async def stop(self) -> None: ...

    def routes(self) -> list[web.RouteDef]: ...

    def binding_value(self, fn: FunctionInfo, binding: dict[str, Any]) -> Any | None: ...


class BaseExtension:
    """Convenience base: no routes, no bindings, nothing to stop."""

    name = "extension"

    async def start(self, host: Host) -> None:
        self.host = host

    async def stop(self) -> None:
        return None

    def routes(self) -> list[web.RouteDef]:
        return []

    def binding_value(self, fn: FunctionInfo, binding: dict[str, Any]) -> Any | None:
        return None


def resolve(target: str) -> Any:
    """Import `module:attribute`; ModuleNotFoundError propagates (callers decide if optional)."""
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr)


def is_missing_module(exc: ModuleNotFoundError, target: str) -> bool:
    """True when the import failed because `target`'s own module (or a parent) does not exist,
    not because something *inside* it is missing (that is a real bug worth failing on)."""
    module_name = target.partition(":")[0]
    missing = exc.name or ""
    return module_name == missing or module_name.startswith(missing + ".")


def load_optional(target: str) -> Callable[[], Any] | None:
    try:
        return resolve(target)  # type: ignore[no-any-return]
    except ModuleNotFoundError as exc:
        if is_missing_module(exc, target):
            log.info("extension %s not present; skipped", target)
            return None
        raise
