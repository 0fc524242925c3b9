"""The durable engine as a devhost extension: workers, management webhooks, client binding."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aiohttp import web

from devhost.durable import inproc, registry
from devhost.durable.api import ManagementApi
from devhost.durable.binding import client_binding, hub_name, load_system_key, rpc_base_url
from devhost.durable.engine import Engine
from devhost.index import FunctionInfo

if TYPE_CHECKING:
    from devhost.host import Host

log = logging.getLogger("devhost.durable")
DB_NAME = "durable.db"


class DurableExtension:
    name = "durable"

    def __init__(self) -> None:
        self.engine: Engine | None = None
        self._routes: list[web.RouteDef] = []
        self._binding = ""
        self._rpc_base = ""

    async def start(self, host: Host) -> None:
        # Orchestrator handles are pure CPU and run on the loop; activities go through the host's
        # invoker like any other function (sync ones in its thread pool).
        orchestrators, activities = registry.build(list(host.functions), invoke=host.invoke)
        # host.json's maxConcurrentActivityFunctions bounds the activities in flight, as on Azure.
        durable = (host.config.raw.get("extensions") or {}).get("durableTask") or {}
        max_activities = int(durable.get("maxConcurrentActivityFunctions") or 64)
        self.engine = Engine(
            host.data_dir / DB_NAME,
            orchestrators,
            activities,
            max_activities=max_activities,
            extended_sessions=bool(durable.get("extendedSessionsEnabled", False)),
            session_idle_seconds=float(durable.get("extendedSessionIdleTimeoutInSeconds") or 30),
            worker_index=host.options.worker_index,
            worker_count=host.options.worker_count,
        )
        hub = hub_name(host.config.raw)
        key = load_system_key(host.data_dir)
        self._binding = client_binding(host.base_url, hub, key)
        api = ManagementApi(self.engine, host.base_url, hub, system_key=key)
        self._routes = api.routes()
        # The app's start_new/get_status reach the engine without a loopback HTTP request.
        self._rpc_base = rpc_base_url(host.base_url, key)
        inproc.register(self._rpc_base, api, key)
        await self.engine.start()
        log.info(
            "durable: %d orchestrator(s), %d activity(ies), hub %s", len(orchestrators), len(activities), hub
        )

    async def stop(self) -> None:
        inproc.unregister(self._rpc_base)
        if self.engine is not None:
            await self.engine.stop()

    def routes(self) -> list[web.RouteDef]:
        return list(self._routes)

    def binding_value(self, fn: FunctionInfo, binding: dict[str, Any]) -> Any | None:
        if binding.get("type") == "durableClient":
            return self._binding
        return None
