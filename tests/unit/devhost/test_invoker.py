"""The invoker: sync functions in the pool, async ones on the host loop, bindings by keyword."""

from __future__ import annotations

import asyncio
import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import azure.functions as func
import pytest

from devhost.index import FunctionIndex, FunctionInfo
from devhost.invoker import Invoker

app = func.FunctionApp()
seen: dict[str, Any] = {}


@app.route("sync")
@app.generic_input_binding(arg_name="extra", type="custom")
def sync_fn(req: func.HttpRequest, extra: Any) -> str:
    seen["sync_thread"] = threading.current_thread().name
    seen["extra"] = extra
    return "sync"


@app.route("async")
async def async_fn(req: func.HttpRequest) -> str:
    seen["async_loop"] = asyncio.get_running_loop()
    return "async"


INDEX = FunctionIndex.from_app(app)


def _fn(name: str) -> FunctionInfo:
    fn = INDEX.get(name)
    assert fn is not None
    return fn


async def _eventually(condition: Callable[[], bool], timeout: float = 10.0) -> bool:
    """Poll `condition` on the running loop until it holds or `timeout` passes."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() >= deadline:
            return False
        await asyncio.sleep(0.005)
    return True


def test_sync_in_pool_async_on_loop_and_bindings_from_providers() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(2, thread_name_prefix="fnpool") as pool:
            invoker = Invoker(loop, pool)
            invoker.providers.append(lambda fn, b: "provided" if b.get("type") == "custom" else None)
            assert await invoker.invoke(_fn("sync_fn"), req=None) == "sync"
            assert await invoker.invoke(_fn("async_fn"), req=None) == "async"
            assert seen["async_loop"] is loop
            assert seen["sync_thread"].startswith("fnpool")
            assert seen["extra"] == "provided"
            # An explicit keyword wins over providers.
            await invoker.invoke(_fn("sync_fn"), req=None, extra="explicit")
            assert seen["extra"] == "explicit"

    asyncio.run(main())


def test_unprovided_binding_is_none_and_wait_idle_tracks_in_flight() -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(2) as pool:
            invoker = Invoker(loop, pool)
            await invoker.invoke(_fn("sync_fn"), req=None)
            assert seen["extra"] is None
            assert await invoker.wait_idle(0.1)

            release = asyncio.Event()
            slow_app = func.FunctionApp()

            @slow_app.route("slow")
            async def slow(req: func.HttpRequest) -> None:
                await release.wait()

            task = asyncio.create_task(
                invoker.invoke(FunctionIndex.from_app(slow_app).by_trigger("httpTrigger")[0], req=None)
            )
            assert await _eventually(lambda: invoker.in_flight == 1)
            assert not await invoker.wait_idle(0.05)  # the slow call is blocked until released
            release.set()
            await task
            assert invoker.in_flight == 0 and await invoker.wait_idle(0.1)

    asyncio.run(main())


batch_app = func.FunctionApp()
request_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_var", default="unset")


@batch_app.route("echo")
def echo_fn(req: Any) -> Any:
    if req == "stop":
        raise StopIteration
    if isinstance(req, BaseException):
        raise req
    time.sleep(0.001 * (hash(req) % 3))  # results come back out of order
    return (req, request_var.get(), threading.current_thread().name)


ECHO = FunctionIndex.from_app(batch_app).get("echo_fn")  # get_functions() works once per app


def test_sync_results_batched_back_each_to_its_caller() -> None:
    """Many sync calls in flight: every caller gets its own result, its own exception (including
    one a future cannot hold), its contextvars in the thread; a cancelled caller's unstarted call
    never runs."""
    echo = ECHO
    assert echo is not None

    async def main() -> None:
        loop = asyncio.get_running_loop()
        with ThreadPoolExecutor(4, thread_name_prefix="batch") as pool:
            invoker = Invoker(loop, pool)

            async def one(n: int) -> Any:
                request_var.set(f"ctx-{n}")
                return await invoker.invoke(echo, req=n)

            results = await asyncio.gather(*(one(n) for n in range(200)))
            assert [r[:2] for r in results] == [(n, f"ctx-{n}") for n in range(200)]
            assert all(r[2].startswith("batch") for r in results)

            with pytest.raises(KeyError, match="boom"):
                await invoker.invoke(echo, req=KeyError("boom"))
            with pytest.raises(RuntimeError, match="StopIteration"):
                await asyncio.wait_for(invoker.invoke(echo, req="stop"), 5)

            # Occupy every thread, then cancel a queued call: it must not run.
            gate = threading.Event()
            ran: list[str] = []

            def mark(value: str) -> None:
                ran.append(value)

            blockers = [loop.run_in_executor(pool, gate.wait) for _ in range(4)]
            queued = asyncio.create_task(invoker._in_pool(mark, {"value": "queued"}))
            await asyncio.sleep(0.05)
            queued.cancel()
            with pytest.raises(asyncio.CancelledError):
                await queued
            gate.set()
            await asyncio.gather(*blockers)
            await asyncio.sleep(0.05)
            assert ran == [] and invoker.in_flight == 0

    asyncio.run(main())


def test_the_host_pool_s_posted_calls_keep_run_in_executor_s_semantics() -> None:
    """The host's FunctionPool queues calls without a concurrent.futures.Future: each caller
    still gets its own result, exception and contextvars, on a pool thread; a cancelled caller's
    queued call never runs; shutdown(cancel_futures=True) drops what is queued; no posting after."""
    from devhost.pool import FunctionPool

    echo = ECHO
    assert echo is not None

    async def main() -> None:
        loop = asyncio.get_running_loop()
        pool = FunctionPool(4, thread_name_prefix="posted")
        invoker = Invoker(loop, pool)
        assert invoker._post is not None  # the fast path is the one under test

        async def one(n: int) -> Any:
            request_var.set(f"ctx-{n}")
            return await invoker.invoke(echo, req=n)

        results = await asyncio.gather(*(one(n) for n in range(200)))
        assert [r[:2] for r in results] == [(n, f"ctx-{n}") for n in range(200)]
        assert all(r[2].startswith("posted") for r in results)
        assert len(pool._threads) <= 4
        with pytest.raises(KeyError, match="boom"):
            await invoker.invoke(echo, req=KeyError("boom"))
        with pytest.raises(RuntimeError, match="StopIteration"):
            await asyncio.wait_for(invoker.invoke(echo, req="stop"), 5)

        gate = threading.Event()
        ran: list[str] = []

        def mark(value: str) -> None:
            ran.append(value)

        blockers = [loop.run_in_executor(pool, gate.wait) for _ in range(4)]
        queued = asyncio.create_task(invoker._in_pool(mark, {"value": "queued"}))
        await asyncio.sleep(0.05)
        queued.cancel()
        with pytest.raises(asyncio.CancelledError):
            await queued
        left = pool.post(lambda: mark("left in the queue at shutdown"))
        pool.shutdown(wait=False, cancel_futures=True)
        assert left.cancelled
        gate.set()
        await asyncio.gather(*blockers)
        await asyncio.sleep(0.05)
        assert ran == []
        with pytest.raises(RuntimeError, match="after shutdown"):
            pool.post(lambda: None)

    asyncio.run(main())
