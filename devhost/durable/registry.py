"""Turn the app's orchestrator and activity functions into what the engine calls.

Orchestrators: the SDK decorator already wraps the generator into `handle(context_json) ->
state_json`. Activities: called with their trigger parameter set to `df_loads(input)`; the result
goes back as `df_dumps(result)`. `invoke` is devhost's invoker in the host (sync functions in its
thread pool) and a local stand-in in tests and benchmarks.
"""

from __future__ import annotations

import asyncio
import importlib
import inspect
import re
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime
from functools import lru_cache
from typing import Any

from azure.durable_functions.models.utils.df_serialization import df_dumps, df_loads

from devhost.durable.engine import ActivityFn
from devhost.durable.episode import Handle
from devhost.index import ACTIVITY, ORCHESTRATION, FunctionInfo

Invoke = Callable[..., Awaitable[Any]]


def _memoize(module_name: str, attribute: str, maxsize: int, fast: Any = None) -> None:
    module = importlib.import_module(module_name)
    fn = getattr(module, attribute)
    if not hasattr(fn, "cache_info"):
        setattr(module, attribute, lru_cache(maxsize=maxsize)(fast(fn) if fast else fn))


# The timestamps devhost writes (events.TIMESTAMP_FORMAT) and the SDK's own "...Z" forms.
_ZULU = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{1,6})?Z")


def _fast_timestamps(dt_parse: Callable[..., datetime]) -> Callable[..., datetime]:
    """dateutil's general parser costs ~50 us a timestamp; for the one shape devhost writes,
    `fromisoformat` gives the same value with the tzinfo dateutil itself picks for "Z" (it
    depends on the machine's zone, so it is asked once), and anything else still goes to it."""
    zulu_tz = dt_parse("2000-01-01T00:00:00Z").tzinfo

    def parse(text: Any, *args: Any, **kwargs: Any) -> datetime:
        if not args and not kwargs and isinstance(text, str) and _ZULU.fullmatch(text):
            return datetime.fromisoformat(text[:-1]).replace(tzinfo=zulu_tz)
        return dt_parse(text, *args, **kwargs)

    return parse


def _memoize_sdk_replay_costs() -> None:
    """Every episode replays the whole history through the SDK, which spends most of that time
    on two things that always give the same answer for the same input (docs/performance.md):
    parsing each event's timestamp with dateutil's general parser (a fifth of devhost's CPU
    with 20 orders running), and defining a namedtuple class in every executor it builds. A
    timestamp string always parses to the same immutable datetime, and the namedtuple class is
    only used to make immutable tuples, so the SDK's own functions behind a cache behave the same."""
    _memoize("azure.durable_functions.models.history.HistoryEvent", "dt_parse", 65536, _fast_timestamps)
    _memoize("azure.durable_functions.models.TaskOrchestrationExecutor", "namedtuple", 16)


_memoize_sdk_replay_costs()


async def invoke_locally(fn: FunctionInfo, /, **kwargs: Any) -> Any:
    """Sync functions in a worker thread (asyncio.to_thread copies contextvars), async on the loop."""
    if fn.is_async:
        return await fn.user_function(**kwargs)
    result = await asyncio.to_thread(fn.user_function, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


def activity_callable(fn: FunctionInfo, invoke: Invoke) -> ActivityFn:
    async def run(input_json: str | None) -> str | None:
        value = df_loads(input_json) if input_json is not None else None
        result = await invoke(fn, **{fn.param_name: value})
        return df_dumps(result)

    return run


def build(
    functions: Iterable[FunctionInfo], invoke: Invoke = invoke_locally
) -> tuple[dict[str, Handle], dict[str, ActivityFn]]:
    orchestrators: dict[str, Handle] = {}
    activities: dict[str, ActivityFn] = {}
    for fn in functions:
        if fn.trigger_type == ORCHESTRATION:
            orchestrators[fn.name] = fn.user_function
        elif fn.trigger_type == ACTIVITY:
            activities[fn.name] = activity_callable(fn, invoke)
    return orchestrators, activities
