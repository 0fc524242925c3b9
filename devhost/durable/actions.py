"""The actions an orchestrator returns, flattened, with their task ids; and the determinism check.

The SDK returns the cumulative list of actions decided so far; compound tasks (task_all,
task_any, and every retryable task, which the SDK models as a one-child WhenAll) nest their
children under `compoundActions`. Task ids follow the order tasks are first yielded, which is
this flattened depth-first order, except that waiting for an external event takes no id.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

CALL_ACTIVITY = 0
CALL_ACTIVITY_WITH_RETRY = 1
CALL_SUB_ORCHESTRATOR = 2
CALL_SUB_ORCHESTRATOR_WITH_RETRY = 3
CONTINUE_AS_NEW = 4
CREATE_TIMER = 5
WAIT_FOR_EXTERNAL_EVENT = 6
WHEN_ANY = 11
WHEN_ALL = 12

COMPOUND = frozenset({WHEN_ANY, WHEN_ALL})
# Fire-and-forget actions the SDK counts but the engine never answers.
NO_ID = frozenset({WAIT_FOR_EXTERNAL_EVENT})
SUPPORTED = frozenset(
    {
        CALL_ACTIVITY,
        CALL_ACTIVITY_WITH_RETRY,
        CALL_SUB_ORCHESTRATOR,
        CALL_SUB_ORCHESTRATOR_WITH_RETRY,
        CONTINUE_AS_NEW,
        CREATE_TIMER,
        WAIT_FOR_EXTERNAL_EVENT,
    }
)


class NonDeterminism(Exception):
    """The replayed orchestrator decided differently from what the history recorded."""


@dataclass(frozen=True)
class Action:
    type: int
    name: str | None  # function name, event name, or the timer's fireAt
    input: str | None  # the JSON the SDK serialised (activity / sub-orchestration / new input)
    raw: dict[str, Any]

    @property
    def signature(self) -> list[Any]:
        """What the determinism check compares (and what the instance row records)."""
        return [self.type, self.name, self.input]

    @property
    def retry(self) -> dict[str, int] | None:
        opts = self.raw.get("retryOptions")
        if not opts:
            return None
        return {
            "interval_ms": int(opts.get("firstRetryIntervalInMilliseconds", 1000)),
            "max_attempts": int(opts.get("maxNumberOfAttempts", 1)),
        }


def _from_raw(raw: dict[str, Any]) -> Action:
    kind = int(raw.get("actionType", -1))
    if kind == CREATE_TIMER:
        return Action(kind, str(raw.get("fireAt")), None, raw)
    if kind == WAIT_FOR_EXTERNAL_EVENT:
        return Action(kind, raw.get("externalEventName"), None, raw)
    if kind == CONTINUE_AS_NEW:
        return Action(kind, None, raw.get("input"), raw)
    return Action(kind, raw.get("functionName"), raw.get("input"), raw)


def flatten(state_actions: list[Any]) -> list[Action]:
    """Depth-first, in yield order; compound wrappers themselves take no id and vanish."""
    out: list[Action] = []

    def walk(node: Any) -> None:
        if isinstance(node, list):
            for child in node:
                walk(child)
        elif isinstance(node, dict):
            if int(node.get("actionType", -1)) in COMPOUND:
                walk(node.get("compoundActions") or [])
            else:
                out.append(_from_raw(node))

    walk(state_actions)
    return out


def check_determinism(recorded: list[list[Any]], replayed: list[Action]) -> None:
    """Every recorded action must come back, in order, with the same type, name and input.

    The SDK itself does not check this: a changed orchestrator would silently attach old results
    to different calls, so the engine fails the instance loudly instead."""
    for position, old in enumerate(recorded):
        if position >= len(replayed):
            raise NonDeterminism(
                f"replay produced {len(replayed)} actions but the history records {len(recorded)}; "
                f"action #{position} ({_show(old)}) was not scheduled again"
            )
        new = replayed[position].signature
        if new[:3] != old[:3]:
            raise NonDeterminism(f"action #{position} was {_show(old)} in history but is now {_show(new)}")


def _show(sig: list[Any]) -> str:
    names = {
        CALL_ACTIVITY: "CallActivity",
        CALL_ACTIVITY_WITH_RETRY: "CallActivityWithRetry",
        CALL_SUB_ORCHESTRATOR: "CallSubOrchestrator",
        CALL_SUB_ORCHESTRATOR_WITH_RETRY: "CallSubOrchestratorWithRetry",
        CONTINUE_AS_NEW: "ContinueAsNew",
        CREATE_TIMER: "CreateTimer",
        WAIT_FOR_EXTERNAL_EVENT: "WaitForExternalEvent",
    }
    kind = names.get(int(sig[0]), str(sig[0]))
    detail = f"({sig[1]!r}" + (f", input={sig[2]}" if sig[2] is not None else "") + ")"
    return kind + detail
