"""`on_authenticated` hooks: code a context runs for every caller with a valid token.

A hook may return a `Principal` to stand for the caller from then on (the users context returns
one with the roles stored on the profile, docs/security.md); returning None keeps the caller as is.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

from shared.http.auth import Principal
from shared.kernel.errors import DomainError, ServiceUnavailable

log = logging.getLogger("smartcommerce.http")

AuthHook = Callable[[Principal], Principal | None]
_hooks: list[AuthHook] = []


class _Remembering:
    """Skips a hook for a caller it succeeded for recently (same sub and claims), so a per-request
    hook costs a dict lookup rather than a database read. Bounded: oldest entries are dropped."""

    def __init__(self, hook: AuthHook, seconds: float, max_entries: int = 10_000) -> None:
        self.hook, self.seconds, self.max_entries = hook, seconds, max_entries
        self.__name__ = getattr(hook, "__name__", "hook")
        self._seen: OrderedDict[tuple[object, ...], float] = OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, principal: Principal) -> Principal | None:
        key = (principal.sub, principal.roles, principal.email, principal.name)
        now = time.monotonic()
        with self._lock:
            seen = self._seen.get(key)
        if seen is not None and now - seen < self.seconds:
            return None
        result = self.hook(principal)
        with self._lock:
            self._seen[key] = now
            self._seen.move_to_end(key)
            while len(self._seen) > self.max_entries:
                self._seen.popitem(last=False)
        return result


def on_authenticated(hook: AuthHook, *, remember_seconds: float = 0) -> AuthHook:
    """Call `hook(principal)` after every successful token validation (e.g. just-in-time user
    profiles). Hooks run on the request path, so keep them cheap; with `remember_seconds` the edge
    skips the hook for a caller it succeeded for within that time (per process). A hook raising a
    DomainError fails the request with it; any other exception becomes a 503 without details.
    A hook that replaces the principal must not use `remember_seconds` (a skipped call returns
    None, i.e. the token's principal)."""
    _hooks.append(_Remembering(hook, remember_seconds) if remember_seconds > 0 else hook)
    return hook


def run_hooks(principal: Principal) -> Principal:
    """Every hook in registration order; the caller as the last hook that returned one left it."""
    for hook in _hooks:
        try:
            replaced = hook(principal)
        except DomainError:
            raise
        except Exception as exc:
            log.exception("on_authenticated hook %s failed", getattr(hook, "__name__", hook))
            raise ServiceUnavailable("the request could not be completed; retry later") from exc
        if replaced is not None:
            principal = replaced
    return principal
