"""The in-host services devhost runs besides the app's functions: the one place to list them.

Each entry names a `module:attribute`:
- without `every_seconds`: a class or factory returning a HostExtension (see devhost.extensions);
- with `every_seconds`: a plain callable taking no arguments (sync runs in the thread pool),
  called periodically, e.g. an outbox relay pump that moves committed events to the bus.

`optional=True` skips an entry whose module does not exist (yet); a module that exists but fails
to import is always an error.
"""

from __future__ import annotations

from dataclasses import dataclass

from devhost.extensions import DURABLE_EXTENSION


@dataclass(frozen=True)
class ServiceSpec:
    target: str
    every_seconds: float | None = None
    optional: bool = False


SERVICES: list[ServiceSpec] = [
    # The durable engine (issue 4) is a full extension: client binding, webhooks, workers.
    ServiceSpec(DURABLE_EXTENSION, optional=True),
    # The outbox relay (issue 3): committed outbox entries -> the local bus, every second.
    ServiceSpec("shared.composition:relay_once", every_seconds=1.0),
    # The live order-status stream (issue 8): devhost's stand-in for the SignalR Service.
    ServiceSpec("devhost.devstream:RealtimeStreamExtension", optional=True),
]
