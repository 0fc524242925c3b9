"""Service Bus triggers fed by the local bus: one pump per trigger.

A pump peek-locks up to `maxConcurrentCalls` messages, invokes the function per message (or per
batch for cardinality "many"), and settles like the real host with autoComplete: success ->
complete; exception -> abandon with a short backoff, and after maxDeliveryCount deliveries the
bus moves the message to the dead-letter store with the exception text. Locks are renewed while
a function runs; a crash leaves them to expire (or to be released by the next start).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

from azure.functions.servicebus import ServiceBusMessage
from opentelemetry import trace
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from devhost.index import SERVICE_BUS, FunctionInfo
from devhost.invoker import Invoker
from shared.adapters.localbus import LeasedMessage, LocalBus, LockLostError
from shared.adapters.localbus_topology import EntitySpec
from shared.http.pipeline import _unrecorded_span
from shared.observability.telemetry import span_from_traceparent

log = logging.getLogger("devhost.servicebus")

IDLE_POLL_SECONDS = 0.25  # other processes' sends are seen by polling; ours wake pumps at once
BACKOFF_BASE_SECONDS = 0.1
BACKOFF_MAX_SECONDS = 5.0


_propagator = TraceContextTextMapPropagator()


@contextlib.contextmanager
def consumer_span(name: str, props: Any) -> Iterator[Any]:
    """The delivery's span, continuing the sender's trace (its `traceparent` property) as the
    Functions host does, so what the handler emits carries the same trace id on. When nothing
    records spans (the SDK provider without a processor: devhost without an exporter), the span
    is the unrecorded one the HTTP pipeline uses for requests, with the context the SDK would
    have given it: creating and ending an SDK span cost about 0.2 ms of a delivery (round 4,
    docs/performance.md)."""
    traceparent, tracestate = props.get("traceparent"), props.get("tracestate")
    carrier = {"traceparent": traceparent} if traceparent else {}
    if tracestate and traceparent:
        carrier["tracestate"] = tracestate
    unrecorded = _unrecorded_span(_propagator.extract(carrier))
    if unrecorded is not None:
        with trace.use_span(unrecorded, end_on_exit=False):
            yield unrecorded
        return
    with span_from_traceparent(name, traceparent, tracestate=tracestate) as span:
        yield span


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def to_sdk_message(lm: LeasedMessage) -> ServiceBusMessage:
    m = lm.message
    props = dict(m.application_properties)
    return ServiceBusMessage(
        body=bytes(m.body),
        message_id=m.message_id,
        content_type=m.content_type or None,
        correlation_id=m.correlation_id,
        delivery_count=lm.delivery_count,
        enqueued_time_utc=_utc(lm.enqueued_at),
        locked_until=_utc(lm.locked_until),
        lock_token=lm.lock_token,
        sequence_number=lm.sequence_number,
        session_id=m.session_id,
        subject=m.subject or None,
        label=m.subject or None,
        application_properties=props,
        user_properties=props,
        trigger_metadata={"MessageId": m.message_id, "DeliveryCount": lm.delivery_count},
    )


def entity_of(fn: FunctionInfo) -> tuple[str, str | None]:
    t = fn.trigger
    queue = getattr(t, "queue_name", None)
    if queue:
        return str(queue), None
    return str(t.topic_name), str(t.subscription_name)


class Pump:
    def __init__(
        self,
        fn: FunctionInfo,
        bus: LocalBus,
        invoker: Invoker,
        bus_pool: ThreadPoolExecutor,
        spec: EntitySpec,
        max_concurrent: int,
    ) -> None:
        self.fn, self.bus, self.invoker, self.pool, self.spec = fn, bus, invoker, bus_pool, spec
        self.batch = str(getattr(fn.trigger, "cardinality", "") or "").lower().endswith("many")
        self.slots = asyncio.Semaphore(max_concurrent)
        self.max_concurrent = max_concurrent
        self.wake = asyncio.Event()
        self.stopping = False
        self.in_flight: dict[str, asyncio.Task[None]] = {}  # lock token -> handler task
        self._renewer: asyncio.Task[None] | None = None

    async def _bus(self, method: Any, *args: Any, **kwargs: Any) -> Any:
        """Receive, complete, renew, abandon: each one short SQLite transaction on the bus file (a
        read only, when nothing is ready), so they run on the loop like the durable engine's
        queue. Handing each to the bus pool cost the loop more than the operation: every send
        wakes every pump, and each woken pump's receive was a thread round trip
        (docs/performance.md). The pool keeps the start-up sweep."""
        return method(*args, **kwargs)

    async def run(self) -> None:
        self._renewer = asyncio.create_task(self._renew_in_flight(), name=f"renew:{self.fn.name}")
        try:
            await self._receive_loop()
        finally:
            if not self.stopping:  # else `stop` ends it once the handlers it waits for are done
                self._renewer.cancel()

    async def _receive_loop(self) -> None:
        sub = self.spec.subscription or None
        while not self.stopping:
            self.wake.clear()  # before receiving, so a send during the receive is not missed
            free = self.max_concurrent - len(self.in_flight)
            leased: list[LeasedMessage] = []
            if free > 0:
                try:
                    leased = await self._bus(self.bus.receive, self.spec.entity, sub, max_count=free)
                except Exception:
                    log.exception("receive from %s failed", self.spec.label)
            if leased:
                groups = [leased] if self.batch else [[m] for m in leased]
                for group in groups:
                    task = asyncio.create_task(self._handle(group))
                    for m in group:
                        self.in_flight[m.lock_token] = task
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.wake.wait(), IDLE_POLL_SECONDS)

    async def _handle(self, group: list[LeasedMessage]) -> None:
        start = time.perf_counter()
        first = group[0]
        arg: Any = [to_sdk_message(m) for m in group] if self.batch else to_sdk_message(first)
        outcome = "completed"
        props = first.message.application_properties
        try:
            # Continue the sender's trace (its traceparent property), as the Functions host does:
            # events the handler emits then carry the same trace id on to their consumers.
            with consumer_span(f"servicebus {self.fn.name}", props):
                await self.invoker.invoke(self.fn, **{self.fn.param_name: arg})
            for m in group:
                await self._bus(self.bus.complete, m.lock_token)
        except LockLostError:
            outcome = "lock-lost"
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            outcome = await self._fail(group, error)
            log.warning(
                "%s failed on %s (delivery %d): %s",
                self.fn.name,
                self.spec.label,
                first.delivery_count,
                error,
            )
        finally:
            for m in group:
                self.in_flight.pop(m.lock_token, None)
            self.wake.set()
        cid = first.message.correlation_id or props.get("correlationId") or "-"
        log.info(
            "servicebus %s -> %s outcome=%s delivery=%d messages=%d duration_ms=%.1f message_id=%s "
            "correlation_id=%s",
            self.spec.label,
            self.fn.name,
            outcome,
            first.delivery_count,
            len(group),
            (time.perf_counter() - start) * 1000,
            first.message.message_id,
            cid,
        )

    async def _fail(self, group: list[LeasedMessage], error: str) -> str:
        outcome = "retry"
        for m in group:
            delay = min(BACKOFF_BASE_SECONDS * 2 ** (m.delivery_count - 1), BACKOFF_MAX_SECONDS)
            try:
                if await self._bus(self.bus.abandon, m.lock_token, delay_seconds=delay, error=error):
                    outcome = "dead-lettered"
            except LockLostError:
                outcome = "lock-lost"
        return outcome

    async def _renew_in_flight(self) -> None:
        """Keep the locks of the messages being handled: one loop per pump renews every lock in
        flight each half lock period (a lock taken just after a round is renewed in the next, well
        before it ends). One task for the pump, not one started and cancelled per delivery."""
        interval = max(0.5, self.spec.lock_seconds / 2)
        while True:
            await asyncio.sleep(interval)
            for token in list(self.in_flight):
                try:
                    await self._bus(self.bus.renew_lock, token, self.spec.lock_seconds)
                except LockLostError:
                    pass  # settled meanwhile, or lost: the handler's settle says which
                except Exception:
                    log.exception("renewing a message lock on %s failed", self.spec.label)

    async def stop(self, grace_seconds: float) -> None:
        """Stop receiving; give running handlers `grace_seconds`; release the rest unharmed."""
        self.stopping = True
        self.wake.set()
        tasks = set(self.in_flight.values())
        if tasks:
            await asyncio.wait(tasks, timeout=grace_seconds)
        for token, task in list(self.in_flight.items()):
            if not task.done():
                with contextlib.suppress(LockLostError):
                    await self._bus(self.bus.release, token)
                log.warning(
                    "released in-flight message on %s at shutdown (will be redelivered)", self.spec.label
                )
        if self._renewer is not None:
            self._renewer.cancel()


class ServiceBusTriggers:
    def __init__(
        self,
        functions: list[FunctionInfo],
        bus: LocalBus,
        invoker: Invoker,
        max_concurrent: int,
        *,
        sweep_seconds: float | None = None,
    ) -> None:
        self.bus = bus
        # With several worker processes one may die while its siblings run on: they give its
        # message locks back every `sweep_seconds` instead of waiting for the locks to expire.
        self.sweep_seconds = sweep_seconds
        self.pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="devhost-bus")
        self.pumps: list[Pump] = []
        self._listener: Any = None
        self.tasks: list[asyncio.Task[None]] = []
        for fn in functions:
            if fn.trigger_type != SERVICE_BUS:
                continue
            entity, sub = entity_of(fn)
            spec = bus.entity(entity, sub)
            if spec is None:
                spec = EntitySpec(entity, sub or "")
                bus.ensure_entity(spec)
                log.warning(
                    "%s listens on %s, which is not in infra/messaging.json; created it (all event types)",
                    fn.name,
                    spec.label,
                )
            self.pumps.append(Pump(fn, bus, invoker, self.pool, spec, max_concurrent))

    def _wake_all(self) -> None:
        for p in self.pumps:
            p.wake.set()

    async def start(self) -> None:
        loop = asyncio.get_running_loop()

        def listener() -> None:
            with contextlib.suppress(RuntimeError):  # loop already closed at shutdown
                loop.call_soon_threadsafe(self._wake_all)

        self._listener = listener
        self.bus.add_listener(self._listener)
        released = await loop.run_in_executor(self.pool, self.bus.release_orphaned_locks)
        if released:
            log.info("released %d message locks held by a crashed process", released)
        self.tasks = [asyncio.create_task(p.run(), name=f"pump:{p.fn.name}") for p in self.pumps]
        if self.sweep_seconds is not None and self.pumps:
            self.tasks.append(asyncio.create_task(self._sweep(self.sweep_seconds), name="bus-sweep"))

    async def _sweep(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(seconds)
            try:
                released = await loop.run_in_executor(self.pool, self.bus.release_orphaned_locks)
            except Exception:
                log.exception("releasing a dead worker's message locks failed")
                continue
            if released:
                log.warning("released %d message locks held by a dead worker process", released)

    async def stop(self, grace_seconds: float) -> None:
        if self._listener is not None:
            self.bus.remove_listener(self._listener)
        await asyncio.gather(*(p.stop(grace_seconds) for p in self.pumps))
        for t in self.tasks:
            t.cancel()
        await asyncio.gather(*self.tasks, return_exceptions=True)
        self.pool.shutdown(wait=True)
