"""The function index: every function of the app, grouped by trigger type.

`app.get_functions()` may be called only once per app object (a second call raises a
duplicate-name error), so the index is built once and shared with the extensions.
"""

from __future__ import annotations

import functools
import importlib
import inspect
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

HTTP = "httpTrigger"
SERVICE_BUS = "serviceBusTrigger"
TIMER = "timerTrigger"
ORCHESTRATION = "orchestrationTrigger"
ACTIVITY = "activityTrigger"
ENTITY = "entityTrigger"


@dataclass(frozen=True)
class BindingInfo:
    """A non-trigger binding: its type (`durableClient`, ...), parameter name and full dict."""

    type: str
    name: str
    direction: str
    raw: dict[str, Any]


@dataclass(frozen=True)
class FunctionInfo:
    name: str
    trigger_type: str
    trigger: Any  # the SDK's trigger binding object (.name, .route, .topic_name, .schedule, ...)
    user_function: Callable[..., Any]
    bindings: tuple[BindingInfo, ...] = ()
    function: Any = field(default=None, repr=False)  # the SDK Function object

    # Computed once (the fields never change) and read on every invocation: the cached values
    # live in the instance's __dict__, outside the fields that eq and repr see.
    @functools.cached_property
    def param_name(self) -> str:
        """The keyword the trigger value is passed as."""
        return str(self.trigger.name)

    @functools.cached_property
    def is_async(self) -> bool:
        # The SDK's wrappers (durable client middleware) are `async def` themselves.
        return inspect.iscoroutinefunction(self.user_function)

    @functools.cached_property
    def inputs(self) -> tuple[BindingInfo, ...]:
        """Bindings other than the trigger that the function takes as arguments."""
        return tuple(b for b in self.bindings if b.direction == "in" and b.name != "$return")

    def input_bindings(self) -> list[BindingInfo]:
        return list(self.inputs)


def _direction(binding: Any) -> str:
    raw = binding.get_dict_repr().get("direction")
    text = str(getattr(raw, "name", raw)).lower()
    return "out" if "out" in text and "inout" not in text else ("inout" if "inout" in text else "in")


def describe(fn: Any) -> FunctionInfo:
    trigger = fn.get_trigger()
    others = tuple(
        BindingInfo(b.get_binding_name(), b.name, _direction(b), dict(b.get_dict_repr()))
        for b in fn.get_bindings()
        if b is not trigger
    )
    return FunctionInfo(
        name=fn.get_function_name(),
        trigger_type=trigger.get_binding_name(),
        trigger=trigger,
        user_function=fn.get_user_function(),
        bindings=others,
        function=fn,
    )


class FunctionIndex:
    def __init__(self, functions: list[FunctionInfo]) -> None:
        self._all = list(functions)
        self._by_name = {f.name: f for f in functions}
        self._by_trigger: dict[str, list[FunctionInfo]] = defaultdict(list)
        for f in functions:
            self._by_trigger[f.trigger_type].append(f)

    @classmethod
    def from_app(cls, app: Any) -> FunctionIndex:
        return cls([describe(fn) for fn in app.get_functions()])

    def __iter__(self) -> Iterator[FunctionInfo]:
        return iter(self._all)

    def __len__(self) -> int:
        return len(self._all)

    def get(self, name: str) -> FunctionInfo | None:
        return self._by_name.get(name)

    def by_trigger(self, trigger_type: str) -> list[FunctionInfo]:
        return list(self._by_trigger.get(trigger_type, []))

    def summary(self) -> dict[str, int]:
        return {k: len(v) for k, v in sorted(self._by_trigger.items())}


def load_app(spec: str) -> Any:
    """Import `module:attribute` (default attribute `app`)."""
    module_name, _, attr = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, attr or "app")
