"""Dependency checks behind `GET /api/health`.

Adapters and contexts register a check (`register_check("documents", store.health)`); a check
passes by returning (None or a short detail string) and fails by raising. Checks run in parallel,
each bounded by a timeout, so one hung dependency cannot hang the health endpoint.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Literal

log = logging.getLogger("smartcommerce.health")

Check = Callable[[], Any]
Status = Literal["ok", "degraded"]

DEFAULT_TIMEOUT_SECONDS = 3.0

_checks: dict[str, Check] = {}
_lock = threading.Lock()
_executor: ThreadPoolExecutor | None = None


def register_check(name: str, fn: Check) -> None:
    """Add (or replace) the check `name`. `fn` may be sync or async."""
    with _lock:
        _checks[name] = fn


def unregister_check(name: str) -> None:
    with _lock:
        _checks.pop(name, None)


def _pool() -> ThreadPoolExecutor:
    global _executor
    with _lock:
        if _executor is None:
            _executor = ThreadPoolExecutor(max_workers=8, thread_name_prefix="health")
        return _executor


def _call(fn: Check) -> tuple[Any, float]:
    started = time.perf_counter()
    result = fn()
    if inspect.isawaitable(result):
        result = asyncio.run(_awaited(result))
    return result, (time.perf_counter() - started) * 1000


async def _awaited(awaitable: Any) -> Any:
    return await awaitable


def run_checks(timeout: float = DEFAULT_TIMEOUT_SECONDS) -> tuple[Status, dict[str, dict[str, Any]]]:
    """`("ok" | "degraded", {name: {"status": "ok" | "error", "detail"?, "latencyMs"}})`."""
    with _lock:
        checks = dict(_checks)
    started = time.perf_counter()
    futures = {name: _pool().submit(_call, fn) for name, fn in checks.items()}
    results: dict[str, dict[str, Any]] = {}
    for name, future in futures.items():
        # One deadline for the whole run: checks run in parallel, so the endpoint takes ~timeout at most.
        remaining = max(0.0, timeout - (time.perf_counter() - started))
        try:
            detail, latency = future.result(timeout=remaining)
            entry: dict[str, Any] = {"status": "ok", "latencyMs": round(latency, 1)}
            if isinstance(detail, str) and detail:
                entry["detail"] = detail
        except FutureTimeout:
            entry = {"status": "error", "detail": f"timed out after {timeout:g}s",
                     "latencyMs": round(timeout * 1000, 1)}
        except Exception as exc:
            # The type only: messages of SDK errors may carry endpoints or keys.
            log.warning("health check %s failed", name, exc_info=True)
            entry = {"status": "error", "detail": type(exc).__name__,
                     "latencyMs": round((time.perf_counter() - started) * 1000, 1)}
        results[name] = entry
    status: Status = "ok" if all(entry["status"] == "ok" for entry in results.values()) else "degraded"
    return status, results
