"""Calling functions: sync ones in a thread pool, async ones on the host's one event loop.

The durable SDK's client keeps a process-wide aiohttp session bound to the loop that created it,
so every async function must run on the same long-lived loop. Arguments go by keyword: the
trigger's parameter name, plus every other input binding resolved by the binding providers
(extensions), e.g. the `durableClient` JSON string.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import inspect
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from devhost.index import BindingInfo, FunctionInfo

log = logging.getLogger("devhost")

BindingProvider = Callable[[FunctionInfo, dict[str, Any]], Any]


class Invoker:
    def __init__(self, loop: asyncio.AbstractEventLoop, pool: ThreadPoolExecutor) -> None:
        self.loop = loop
        self.pool = pool
        self.providers: list[BindingProvider] = []
        self._in_flight = 0
        self._idle = asyncio.Event()
        self._idle.set()
        self._warned: set[tuple[str, str]] = set()

    @property
    def in_flight(self) -> int:
        return self._in_flight

    def resolve_binding(self, fn: FunctionInfo, binding: BindingInfo) -> Any:
        for provider in self.providers:
            value = provider(fn, binding.raw)
            if value is not None:
                return value
        if (fn.name, binding.name) not in self._warned:
            self._warned.add((fn.name, binding.name))
            log.warning(
                "no extension provides binding %r (%s) of %s; passing None",
                binding.name,
                binding.type,
                fn.name,
            )
        return None

    async def invoke(self, fn: FunctionInfo, /, **kwargs: Any) -> Any:
        for binding in fn.input_bindings():
            if binding.name not in kwargs:
                kwargs[binding.name] = self.resolve_binding(fn, binding)
        self._in_flight += 1
        self._idle.clear()
        try:
            if fn.is_async:
                result = fn.user_function(**kwargs)
            else:
                # copy_context: contextvars set by the caller (correlation id) reach the thread.
                ctx = contextvars.copy_context()
                call = functools.partial(ctx.run, fn.user_function, **kwargs)
                result = await self.loop.run_in_executor(self.pool, call)
            if inspect.isawaitable(result):
                result = await result
            return result
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def wait_idle(self, timeout: float) -> bool:
        """Wait for in-flight invocations to finish; False if some were still running."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
