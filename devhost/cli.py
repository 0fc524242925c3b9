"""`python -m devhost start | check | deadletters | instances | instance`."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import json
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from devhost.services import ServiceSpec

DEFAULT_APP = "function_app:app"


def _default_data_dir() -> str:
    return os.environ.get("SC_DATA_DIR") or ".devhost"


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m devhost", description="The SmartCommerce local Functions host."
    )
    sub = p.add_subparsers(dest="command", required=True)

    start = sub.add_parser("start", help="run the app: HTTP, Service Bus and timer triggers")
    start.add_argument("--host", default="127.0.0.1")
    start.add_argument("--port", type=int, default=7071, help="0 picks a free port")
    start.add_argument("--data-dir", default=None, help="state directory (default: $SC_DATA_DIR or .devhost)")
    start.add_argument("--no-seed", action="store_true", help="skip first-start seeding")
    start.add_argument("--app", default=DEFAULT_APP, help="module:attribute of the FunctionApp")
    start.add_argument(
        "--extension",
        action="append",
        default=[],
        metavar="MODULE:ATTR",
        help="load another HostExtension besides devhost/services.py (repeatable; tests, debugging)",
    )

    start.add_argument(
        "--web-dir",
        default=None,
        help="the browser front ends to serve at / (default: ./web when it has an index.html)",
    )
    start.add_argument("--no-web", action="store_true", help="serve the API only")

    check = sub.add_parser("check", help="index the app with the real Python worker's code, as Azure does")
    check.add_argument("--app", default=DEFAULT_APP, help="module:attribute of the FunctionApp")
    check.add_argument("--json", action="store_true", help="also print every function's generated metadata")

    dl = sub.add_parser("deadletters", help="list or replay dead-lettered messages")
    dl.add_argument("--data-dir", default=None)
    dl.add_argument("action", nargs="?", choices=["list", "replay"], default="list")
    dl.add_argument("id", nargs="?", type=int)
    dl.add_argument("--all", action="store_true", help="with replay: every dead letter")
    dl.add_argument("--json", action="store_true", help="with list: machine-readable output")

    inst = sub.add_parser("instances", help="durable orchestration instances")
    inst.add_argument("--data-dir", default=None)
    inst.add_argument("--status", default=None)
    one = sub.add_parser("instance", help="one durable orchestration instance")
    one.add_argument("--data-dir", default=None)
    one.add_argument("id")
    return p


def _setup_logging() -> None:
    from devhost.logwriter import BackgroundStreamHandler, CachedTimeFormatter, flush_before_tracebacks

    level = os.environ.get("SC_LOG_LEVEL", "INFO").upper()
    # Lines formatted by the logging thread, written in batches by one writer thread: no thread
    # waits on a handler lock held by another (devhost/logwriter.py). Same text as before.
    handler = BackgroundStreamHandler(sys.stderr)
    handler.setFormatter(CachedTimeFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler])
    flush_before_tracebacks(handler)
    logging.getLogger("aiohttp.access").setLevel(logging.WARNING)
    # Escapes control characters in every logged field, devhost's own records included (a path
    # with %0a must not forge a log line); idempotent, and the app would install it anyway.
    from shared.observability.telemetry import configure_logging

    configure_logging()


def cmd_start(args: argparse.Namespace) -> int:
    from devhost import workers
    from devhost.config import load_host_json, load_local_settings

    workers.die_with_parent()  # a child worker: first, so a dead worker 0 leaves no orphan
    root = Path.cwd()
    load_local_settings(root)
    try:
        count = workers.worker_count()
    except ValueError as exc:
        print(f"devhost: not starting: {exc}", file=sys.stderr)
        return 2
    os.environ["SC_DATA_DIR"] = args.data_dir or _default_data_dir()
    # Everything devhost writes under its data dir (documents, bus, blobs, notification sinks, durable
    # history) may hold customer data: owner-only, as the signing keys already are.
    os.umask(0o077)
    _setup_logging()
    from devhost.host import Host, HostOptions
    from devhost.index import load_app
    from devhost.pool import thread_count
    from devhost.services import SERVICES
    from devhost.static import default_web_root

    app = load_app(args.app)
    options = HostOptions(
        host=args.host,
        port=args.port,
        data_dir=Path(os.environ["SC_DATA_DIR"]),
        seed=not args.no_seed,
        services=service_list(SERVICES, args.extension),
        web_root=None if args.no_web else (Path(args.web_dir) if args.web_dir else default_web_root(root)),
        function_workers=thread_count(),
        worker_index=workers.worker_index(),
        worker_count=count,
        worker_argv=lambda _index, port: _child_argv(args, port),
    )
    from devhost.worker_check import UnloadableApp

    try:
        host = Host(app, load_host_json(root), options)
    except UnloadableApp as exc:
        print(f"devhost: not starting: {exc}", file=sys.stderr)
        return 1
    try:
        asyncio.run(host.run())
    except SystemExit as exc:  # a second signal: exit now, not once the running functions end
        if host.pool_threads_running():
            _exit_now(exc.code if isinstance(exc.code, int) else 1)
        raise
    if host.abandoned_threads:
        _exit_now(1)
    return 0


def _exit_now(code: int) -> None:
    """End the process without finalizing the interpreter: threads that outlived the shutdown
    grace are still in product code, and tearing the interpreter (and C++ runtimes such as
    onnxruntime) down under them aborts the process. The logs are written first."""
    logging.shutdown()  # flushes the log writer (devhost/logwriter.py)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(OSError, ValueError):
            stream.flush()
    os._exit(code)


def _child_argv(args: argparse.Namespace, port: int) -> list[str]:
    """Another worker process's command line: this one's, on the port worker 0 bound, unseeded
    (seeding, timers and periodic services run in worker 0 only; devhost/workers.py)."""
    argv = [sys.executable, "-m", "devhost", "start", "--host", args.host, "--port", str(port)]
    argv += ["--data-dir", os.environ["SC_DATA_DIR"], "--app", args.app, "--no-seed"]
    for ext in args.extension:
        argv += ["--extension", ext]
    if args.no_web:
        argv.append("--no-web")
    elif args.web_dir:
        argv += ["--web-dir", args.web_dir]
    return argv


def service_list(defaults: list[ServiceSpec], extra: list[str]) -> list[ServiceSpec]:
    """The default services plus each `--extension` once: naming a default service again (or the
    same extension twice) would mount its routes twice and stop the host."""
    from devhost.services import ServiceSpec

    known = {spec.target for spec in defaults}
    return [*defaults, *(ServiceSpec(t) for t in dict.fromkeys(extra) if t not in known)]


def cmd_deadletters(args: argparse.Namespace) -> int:
    from shared.adapters.localbus import LocalBus, load_topology

    bus = LocalBus(Path(args.data_dir or _default_data_dir()) / "bus.db", load_topology())
    if args.action == "replay":
        if args.all:
            print(f"replayed {bus.replay_all()} dead letters")
        elif args.id is not None:
            try:
                bus.replay(args.id)
            except KeyError:
                print(f"no dead letter with id {args.id}", file=sys.stderr)
                return 1
            print(f"replayed dead letter {args.id}")
        else:
            print("replay needs an ID or --all", file=sys.stderr)
            return 2
        return 0
    letters = bus.dead_letters()
    if args.json:
        print(
            json.dumps(
                [
                    {
                        "id": d.id,
                        "entity": d.entity,
                        "subscription": d.subscription,
                        "messageId": d.message.message_id,
                        "subject": d.message.subject,
                        "deliveryCount": d.delivery_count,
                        "reason": d.reason,
                        "description": d.description,
                    }
                    for d in letters
                ],
                indent=2,
            )
        )
        return 0
    if not letters:
        print("no dead letters")
    for d in letters:
        where = d.entity + (f"/{d.subscription}" if d.subscription else "")
        at = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(d.dead_lettered_at))
        print(
            f"{d.id}\t{at}\t{where}\t{d.message.message_id}\t{d.message.subject}\t"
            f"deliveries={d.delivery_count}\t{d.reason}: {d.description}"
        )
    return 0


def cmd_durable(args: argparse.Namespace) -> int:
    try:
        module = importlib.import_module("devhost.durable.cli")
    except ModuleNotFoundError as exc:
        if exc.name in {"devhost.durable", "devhost.durable.cli"}:
            print("the durable engine (devhost.durable) is not installed in this tree yet", file=sys.stderr)
            return 2
        raise
    args.data_dir = args.data_dir or _default_data_dir()
    fn = module.main_instances if args.command == "instances" else module.main_instance
    result = fn(args)
    return int(result or 0)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "start":
        return cmd_start(args)
    if args.command == "check":
        from devhost.config import load_local_settings
        from devhost.worker_check import main_check

        load_local_settings(Path.cwd())  # the app is imported as `start` imports it
        return main_check(args.app, args.json)
    if args.command == "deadletters":
        return cmd_deadletters(args)
    return cmd_durable(args)
