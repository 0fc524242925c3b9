"""devhost's log handler: StreamHandler's lines in StreamHandler's order, without its lock."""

from __future__ import annotations

import io
import logging
import threading
import time

import pytest

from devhost.logwriter import BackgroundStreamHandler, CachedTimeFormatter

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def _record(created: float, msg: str = "m %s", args: tuple[object, ...] = ("x",)) -> logging.LogRecord:
    record = logging.LogRecord("devhost.http", logging.INFO, __file__, 1, msg, args, None)
    record.created = created
    record.msecs = (created - int(created)) * 1000
    return record


def test_cached_time_gives_the_standard_formatter_s_text_across_seconds() -> None:
    standard, cached = logging.Formatter(FORMAT), CachedTimeFormatter(FORMAT)
    start = 1_764_700_000.0
    for step in range(0, 3000, 7):  # three seconds in 7 ms steps, boundaries included
        record = _record(start + step / 1000)
        assert cached.format(record) == standard.format(record)
    dated = CachedTimeFormatter(FORMAT, datefmt="%H:%M")
    assert dated.format(_record(start)) == logging.Formatter(FORMAT, datefmt="%H:%M").format(_record(start))


def test_lines_are_written_in_order_with_the_same_text_and_flush_waits_for_them() -> None:
    out, expected = io.StringIO(), io.StringIO()
    handler = BackgroundStreamHandler(out)
    handler.setFormatter(CachedTimeFormatter(FORMAT))
    plain = logging.StreamHandler(expected)
    plain.setFormatter(logging.Formatter(FORMAT))
    for n in range(500):
        record = _record(1_764_700_000.0 + n / 100, "line %d of %s", (n, "500"))
        handler.handle(record)
        plain.handle(_record(1_764_700_000.0 + n / 100, "line %d of %s", (n, "500")))
    handler.flush()  # returns once everything logged before it is written
    assert out.getvalue() == expected.getvalue()
    assert out.getvalue().count("\n") == 500


class _StuckStream(io.StringIO):
    """A stream whose first write blocks until released (a slow terminal, a full pipe)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered, self.release = threading.Event(), threading.Event()

    def write(self, text: str) -> int:
        self.entered.set()
        self.release.wait(10)
        return super().write(text)


def test_a_thread_logging_never_waits_for_the_stream() -> None:
    """With StreamHandler a second thread's log call waits on the handler lock while the first
    one's write is stuck; here both return at once and the lines follow when the stream moves."""
    stream = _StuckStream()
    handler = BackgroundStreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.handle(_record(time.time(), "first", ()))
    assert stream.entered.wait(5)  # the writer is inside the stuck write
    done = threading.Event()

    def log_from_another_thread() -> None:
        handler.handle(_record(time.time(), "second", ()))
        done.set()

    threading.Thread(target=log_from_another_thread).start()
    assert done.wait(2), "the logging thread waited for the stream"
    stream.release.set()
    handler.flush()
    assert stream.getvalue() == "first\nsecond\n"


def test_a_broken_stream_does_not_stop_the_writer() -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("EPIPE")

    handler = BackgroundStreamHandler(Broken())
    handler.handle(_record(time.time()))
    handler.flush()
    out = io.StringIO()
    handler.setStream(out)
    handler.handle(_record(time.time(), "after", ()))
    handler.flush()
    assert out.getvalue().endswith("after\n")


def test_an_uncaught_exception_s_traceback_comes_after_the_lines_logged_before_it() -> None:
    """sys.excepthook writes to stderr itself: devhost's logging set-up flushes the writer first,
    so a start-up failure's traceback is not spliced into the middle of the last log lines."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[3]
    script = (
        "import logging, threading\n"
        "from devhost.cli import _setup_logging\n"
        "_setup_logging()\n"
        "log = logging.getLogger('devhost')\n"
        "def fail():\n"
        "    for i in range(2000): log.info('thread line %d', i)\n"
        "    raise RuntimeError('thread boom')\n"
        "t = threading.Thread(target=fail); t.start(); t.join()\n"
        "for i in range(2000): log.info('main line %d', i)\n"
        "raise RuntimeError('main boom')\n"
    )
    env = {**os.environ, "PYTHONPATH": str(root), "SC_LOG_LEVEL": "INFO"}
    done = subprocess.run(
        [sys.executable, "-c", script], cwd=root, env=env, capture_output=True, text=True, timeout=60
    )
    lines = done.stderr.splitlines()
    tracebacks = [n for n, line in enumerate(lines) if "Traceback" in line]
    assert len(tracebacks) == 2, done.stderr[-2000:]
    thread_last = max(n for n, line in enumerate(lines) if "thread line 1999" in line)
    main_last = max(n for n, line in enumerate(lines) if "main line 1999" in line)
    assert thread_last < tracebacks[0] < main_last < tracebacks[1]
    assert lines[-1] == "RuntimeError: main boom"


class _SlowStream(io.StringIO):
    """A stream the writer takes a while to write to: its lines land well after they are logged."""

    def write(self, text: str) -> int:
        if threading.current_thread().name == "devhost-log":
            time.sleep(0.05)
        return super().write(text)


def test_the_ready_line_comes_after_what_was_logged_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from devhost.host import _announce

    stream = _SlowStream()
    handler = BackgroundStreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [handler])
    monkeypatch.setattr(root, "level", logging.INFO)
    monkeypatch.setattr(root.manager, "disable", logging.NOTSET)  # whatever other tests left set
    monkeypatch.setattr("sys.stdout", stream)  # stdout and stderr are one file (the e2e log)
    root.info("2 worker processes listening on http://h:1")  # the root logger: no level of its own
    _announce("devhost listening on http://h:1")
    handler.flush()
    assert stream.getvalue().splitlines() == [
        "2 worker processes listening on http://h:1",
        "devhost listening on http://h:1",
    ]
