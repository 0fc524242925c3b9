"""Calling functions: sync ones in a thread pool, async ones on the host's one event loop.

Sync functions finish on a pool thread; their results reach the loop through `_Completions`, which
wakes the loop once for every batch of results rather than once per call (run_in_executor's
call_soon_threadsafe per result costs a self-pipe write, a wake-up and a read each: about half
of a trivial HTTP request's devhost overhead under concurrent load, docs/performance.md).

The durable SDK's client keeps a process-wide aiohttp session bound to the loop that created it,
so every async function must run on the same long-lived loop. Arguments go by keyword: the
trigger's parameter name, plus every other input binding resolved by the binding providers
(extensions), e.g. the `durableClient` JSON string.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import contextvars
import inspect
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Executor
from typing import Any

from devhost.index import BindingInfo, FunctionInfo
from devhost.pool import FunctionPool

log = logging.getLogger("devhost")

BindingProvider = Callable[[FunctionInfo, dict[str, Any]], Any]


_Outcome = tuple["asyncio.Future[Any]", bool, Any]


class _Completions:
    """Pool threads hand results to the loop in batches: one call_soon_threadsafe wakes the loop,
    which settles every result posted until then (each future exactly as run_in_executor would:
    the value, or the exception raised in the thread)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._done: collections.deque[_Outcome] = collections.deque()
        self._lock = threading.Lock()
        self._armed = False  # a drain is scheduled and has not started emptying the queue yet

    def post(self, future: asyncio.Future[Any], ok: bool, value: Any) -> None:
        """From a pool thread."""
        self._done.append((future, ok, value))
        with self._lock:
            if self._armed:
                return
            self._armed = True
        with contextlib.suppress(RuntimeError):  # a closed loop: nobody awaits the result any more
            self._loop.call_soon_threadsafe(self._drain)

    def _drain(self) -> None:
        with self._lock:
            self._armed = False  # before emptying: a result posted from now on schedules a drain
        done = self._done
        while done:
            future, ok, value = done.popleft()
            if future.cancelled():
                continue
            if ok:
                future.set_result(value)
                continue
            try:
                future.set_exception(value)
            except TypeError:  # StopIteration cannot be set on a future (it would hang the caller)
                error = RuntimeError(f"the function raised {type(value).__name__}")
                error.__cause__ = value
                future.set_exception(error)


class Invoker:
    def __init__(self, loop: asyncio.AbstractEventLoop, pool: Executor) -> None:
        self.loop = loop
        self.pool = pool
        # The host's FunctionPool queues calls without a concurrent.futures.Future (devhost/pool.py);
        # any other executor (tests) goes through submit.
        self._post = pool.post if isinstance(pool, FunctionPool) else None
        self._completions = _Completions(loop)
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
        for binding in fn.inputs:
            if binding.name not in kwargs:
                kwargs[binding.name] = self.resolve_binding(fn, binding)
        self._in_flight += 1
        self._idle.clear()
        try:
            if fn.is_async:
                result = fn.user_function(**kwargs)
            else:
                result = await self._in_pool(fn.user_function, kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result
        finally:
            self._in_flight -= 1
            if self._in_flight == 0:
                self._idle.set()

    async def _in_pool(self, function: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
        """`function(**kwargs)` on a pool thread, as run_in_executor would (a cancelled caller
        cancels a call that has not started), with the result delivered in a batch."""
        # copy_context: contextvars set by the caller (correlation id) reach the thread.
        ctx = contextvars.copy_context()
        future: asyncio.Future[Any] = self.loop.create_future()
        post = self._completions.post

        def run() -> None:
            try:
                value = ctx.run(function, **kwargs)
            except BaseException as exc:  # delivered to the caller, as run_in_executor does
                post(future, False, exc)
            else:
                post(future, True, value)

        work = self._post(run) if self._post is not None else self.pool.submit(run)
        try:
            return await future
        except asyncio.CancelledError:
            work.cancel()
            raise

    async def wait_idle(self, timeout: float) -> bool:
        """Wait for in-flight invocations to finish; False if some were still running."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True
