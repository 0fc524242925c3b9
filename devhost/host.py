"""The host: wires the function index, HTTP server, bus pumps, timers, extensions and seeding.

Start order: bind the socket (so extensions know the base URL, even for port 0), start the
extensions, mount their routes and the HTTP dispatcher, listen, start triggers, print the ready
line, seed in the background. Stop order: stop accepting HTTP and receiving messages, let running
invocations finish (bounded), release what is still in flight, stop the extensions, close the
HTTP client sessions functions opened (devhost/clients.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import inspect
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from aiohttp import web

from devhost import seed
from devhost.clients import close_client_sessions, report_unclosed
from devhost.config import HostConfig
from devhost.extensions import HostExtension, load_optional, resolve
from devhost.http_server import DevhostRunner, HttpDispatcher, make_app
from devhost.index import FunctionIndex, FunctionInfo
from devhost.invoker import Invoker
from devhost.pool import FunctionPool
from devhost.servicebus import ServiceBusTriggers
from devhost.services import SERVICES, ServiceSpec
from devhost.static import StaticSite
from devhost.timers import Timers
from devhost.worker_check import refuse_unloadable
from devhost.workers import WorkerSet, report_ready
from shared.adapters.localbus import LocalBus, load_topology
from shared.settings import Settings, get_settings

log = logging.getLogger("devhost")
ORPHAN_SWEEP_SECONDS = 2.0  # with several workers: how soon a dead one's message locks go back


def _announce(line: str) -> None:
    """The ready line on stdout as one write: print() writes the text and the newline separately,
    and a log line written between the two (the log writer is another thread, and stdout and
    stderr are often one file) would glue itself to the URL that tests and tools parse.

    The log handlers are flushed first: the log writer (devhost/logwriter.py) writes a line up to
    a batch interval after it is logged, so without the flush the lines logged before the host
    was ready (functions, "N worker processes listening") came after the ready line, and a tool
    that reads the log once it sees the ready line did not find them."""
    for handler in logging.getLogger().handlers:
        handler.flush()
    if sys.stdout is None:  # no stdout at all (pythonw, a closed fd 1): print() wrote nothing either
        return
    sys.stdout.write(line + "\n")
    sys.stdout.flush()


@dataclass
class HostOptions:
    host: str = "127.0.0.1"
    port: int = 7071
    data_dir: Path = Path(".devhost")
    seed: bool = True
    shutdown_grace_seconds: float = 10.0
    function_workers: int = 32
    services: list[ServiceSpec] = field(default_factory=lambda: list(SERVICES))
    # The browser front ends (web/: storefront at /, back office at /admin/); None serves none.
    web_root: Path | None = None
    # FUNCTIONS_WORKER_PROCESS_COUNT (devhost/workers.py): this process's index and the count;
    # worker 0 starts the others with `worker_argv(index, port)`.
    worker_index: int = 0
    worker_count: int = 1
    worker_argv: Callable[[int, int], list[str]] | None = None


class Host:
    def __init__(self, app: Any, config: HostConfig, options: HostOptions) -> None:
        self.options = options
        self.config = config
        self.data_dir = options.data_dir
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.settings: Settings = get_settings()
        self.functions = FunctionIndex.from_app(app)
        # Refuse what Azure refuses: the worker's own indexing (raises UnloadableApp).
        if refuse_unloadable(f.function for f in self.functions) is None:
            log.warning("worker indexing check skipped: azure-functions-runtime not installed (make install)")
        self.bus = LocalBus(self.data_dir / "bus.db", load_topology())
        self.extensions: list[HostExtension] = []
        self.base_url = ""
        self.seed_done = threading.Event()
        self._stop = asyncio.Event()
        # Pool threads still running product code when the shutdown grace ran out: the process must
        # then end with os._exit (devhost/cli.py), not by finalizing the interpreter under them.
        self.abandoned_threads = 0
        self._background: list[asyncio.Task[None]] = []
        self.workers: WorkerSet | None = None

    @property
    def is_primary(self) -> bool:
        """Worker 0: the one that runs the singletons (timers, periodic services, seeding)."""
        return self.options.worker_index == 0

    # --- what extensions use --------------------------------------------------------------------
    async def invoke(self, fn: FunctionInfo, /, **kwargs: Any) -> Any:
        return await self.invoker.invoke(fn, **kwargs)

    def every(self, seconds: float, fn: Callable[[], Any]) -> asyncio.Task[None]:
        """Run `fn` every `seconds` until shutdown; errors are logged, not fatal."""

        async def loop() -> None:
            while not self._stop.is_set():
                try:
                    result = (
                        fn()
                        if inspect.iscoroutinefunction(fn)
                        else await self.loop.run_in_executor(self.pool, fn)
                    )
                    if inspect.isawaitable(result):
                        await result
                except Exception:
                    log.exception("periodic job %s failed", getattr(fn, "__qualname__", fn))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stop.wait(), seconds)

        task = asyncio.get_running_loop().create_task(loop(), name=f"every:{seconds}")
        self._background.append(task)
        return task

    def pool_threads_running(self) -> int:
        pool = getattr(self, "pool", None)  # set by run()
        return pool.running() if isinstance(pool, FunctionPool) else 0

    def request_stop(self) -> None:
        self._stop.set()

    # --- lifecycle ------------------------------------------------------------------------------
    def _bind(self) -> socket.socket:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if self.options.worker_count > 1:  # every worker listens; the kernel spreads connections
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((self.options.host, self.options.port))
        sock.listen(512)
        sock.setblocking(False)
        host, port = sock.getsockname()[:2]
        self.base_url = f"http://{host}:{port}"
        return sock

    async def _start_extensions(self) -> None:
        for spec in self.options.services:
            if spec.every_seconds is not None:
                if not self.is_primary:
                    continue  # periodic services are singletons, like timers: worker 0 runs them
                target = load_optional(spec.target) if spec.optional else resolve(spec.target)
                if target is not None:
                    self.every(spec.every_seconds, target)
                continue
            factory = load_optional(spec.target) if spec.optional else resolve(spec.target)
            if factory is None:
                continue
            ext: HostExtension = factory()
            await ext.start(self)
            self.extensions.append(ext)
            log.info("extension %s started", ext.name)

    def _binding_from_extensions(self, fn: FunctionInfo, binding: dict[str, Any]) -> Any:
        for ext in self.extensions:
            value = ext.binding_value(fn, binding)
            if value is not None:
                return value
        return None

    async def _status(self, _: web.Request) -> web.Response:
        return web.json_response(
            {
                "functions": self.functions.summary(),
                "seeded": self.seed_done.is_set(),
                "extensions": [e.name for e in self.extensions],
                "inFlight": self.invoker.in_flight,
                # FUNCTIONS_WORKER_PROCESS_COUNT: which worker answered, and worker 0's children.
                "worker": {"index": self.options.worker_index, "pid": os.getpid()},
                "workers": self.workers.pids() if self.workers is not None else {},
            }
        )

    def _site(self) -> StaticSite | None:
        if self.options.web_root is None:
            return None
        log.info("serving %s at %s/", self.options.web_root, self.base_url)
        return StaticSite(self.options.web_root, self.config.route_prefix)

    async def run(self, on_ready: Callable[[str], Awaitable[None] | None] | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.pool = FunctionPool(self.options.function_workers, thread_name_prefix="devhost-fn")
        self.invoker = Invoker(self.loop, self.pool)
        self.invoker.providers.append(self._binding_from_extensions)
        sock = self._bind()
        await self._start_extensions()
        routes = [web.get("/runtime/devhost/status", self._status)]
        for ext in self.extensions:
            routes += ext.routes()
        dispatcher = HttpDispatcher(list(self.functions), self.invoker, self.config.route_prefix)
        runner = DevhostRunner(
            make_app(dispatcher, routes, self.settings.cors_origins, self._site()),
            access_log=None,
            shutdown_timeout=self.options.shutdown_grace_seconds,
        )
        await runner.setup()
        await web.SockSite(runner, sock).start()
        triggers = ServiceBusTriggers(
            list(self.functions),
            self.bus,
            self.invoker,
            self.config.max_concurrent_calls,
            sweep_seconds=ORPHAN_SWEEP_SECONDS if self.options.worker_count > 1 else None,
        )
        timers = Timers(list(self.functions) if self.is_primary else [], self.invoker, self.data_dir)
        await triggers.start()
        await timers.start()
        self._install_signals()
        log.info("functions: %s", self.functions.summary())
        # The app, the SDKs and every extension are loaded: move what is alive now (hundreds of
        # thousands of objects that live as long as the process) out of the collector's reach, so
        # a full collection under load walks only what requests made. Measured with the whole app
        # loaded: full-collection time 1.08 s -> 0.28 s per 3,000 cold recommendation requests
        # (docs/recommendations.md, Speed). Refcounting still frees these objects.
        gc.freeze()
        if not self.is_primary:
            _announce(f"devhost worker {self.options.worker_index} listening on {self.base_url}")
            report_ready()
        else:
            if self.options.worker_count > 1 and self.options.worker_argv is not None:
                port = int(self.base_url.rsplit(":", 1)[1])
                argv = self.options.worker_argv
                self.workers = WorkerSet(self.options.worker_count, lambda i: argv(i, port))
                await self.workers.start()
                log.info("%d worker processes listening on %s", self.options.worker_count, self.base_url)
            _announce(f"devhost listening on {self.base_url}")
        if on_ready is not None:
            maybe = on_ready(self.base_url)
            if inspect.isawaitable(maybe):
                await maybe
        self._start_seeding()
        await self._stop.wait()
        await self._shutdown(runner, triggers, timers)

    def _start_seeding(self) -> None:
        if not self.is_primary or not self.options.seed or not seed.needs_seed(self.data_dir):
            self.seed_done.set()
            return

        def work() -> None:
            if seed.run_seeders(self.data_dir):
                self.seed_done.set()

        threading.Thread(target=work, name="devhost-seed", daemon=True).start()

    def _install_signals(self) -> None:
        def on_signal() -> None:
            if self._stop.is_set():
                log.warning("second signal: exiting now")
                raise SystemExit(1)
            log.info("shutting down (in-flight work gets %.0f s)", self.options.shutdown_grace_seconds)
            self._stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError):
                self.loop.add_signal_handler(sig, on_signal)

    async def _shutdown(self, runner: web.AppRunner, triggers: ServiceBusTriggers, timers: Timers) -> None:
        grace = self.options.shutdown_grace_seconds
        workers = [self.workers.stop(grace)] if self.workers is not None else []
        await asyncio.gather(runner.cleanup(), triggers.stop(grace), timers.stop(grace), *workers)
        for task in self._background:
            task.cancel()
        await asyncio.gather(*self._background, return_exceptions=True)
        for ext in reversed(self.extensions):
            try:
                await asyncio.wait_for(ext.stop(), grace)
            except Exception:
                log.exception("extension %s did not stop cleanly", ext.name)
        idle_by = self.loop.time() + grace
        if not await self.invoker.wait_idle(grace):
            log.warning("%d invocations still running at exit", self.invoker.in_flight)
        await close_client_sessions()  # the durable SDK's; no function runs any more to use it
        self.pool.shutdown(wait=False, cancel_futures=True)
        # The pool's threads are joined here, not left to the interpreter's exit: a thread still
        # in product code (onnxruntime, C++) while the interpreter finalizes aborts the process
        # (devhost/pool.py). What runs on them now is what wait_idle does not count (a periodic
        # job's call) or an invocation past the grace: both get what is left of wait_idle's grace.
        if not await asyncio.to_thread(self.pool.join, max(0.0, idle_by - self.loop.time())):
            self.abandoned_threads = self.pool.running()
            log.warning(
                "%d function threads still running after the shutdown grace: exiting without them",
                self.abandoned_threads,
            )
        report_unclosed()
        log.info("devhost stopped")
