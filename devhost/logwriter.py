"""devhost's log handler: lines formatted by the thread that logs, written by one writer thread.

logging.StreamHandler holds its lock while it formats the record *and* writes and flushes the
stream, so every logging thread (the loop with its invocation line, each pool thread with the
app's access line) queues behind whichever thread holds it; a holder descheduled while it waits
for the GIL stalls them all (8-16% of the non-idle samples under authenticated requests,
docs/performance.md). Here a thread formats its own record without any lock (a record is
formatted by one thread only; the formatter keeps no state but an immutable cache) and puts the
line on a queue; the writer writes whatever has accumulated with one write and one flush, so a
busy host makes one write system call per batch instead of one per line.

The lines and their order are those of StreamHandler. `flush()` (called by logging.shutdown at
exit, and by anyone who wants the output now) returns once everything logged before it is
written. A SIGKILL loses what was queued and not yet written: at most the lines of the last few
milliseconds, where StreamHandler lost only a line being written.

logging.handlers.QueueHandler/QueueListener would remove the waits too, but they copy every
record (`copy.copy`) and format it twice, and the listener writes and flushes line by line.
"""

from __future__ import annotations

import collections
import logging
import queue
import sys
import threading
import time
from typing import IO, Any

from devhost.pool import no_wakeup_preemption

# How long flush() waits for the writer before giving up (a wedged stream must not hang exit).
FLUSH_TIMEOUT_SECONDS = 5.0
# How often a busy writer writes what has accumulated: lines reach the stream this much later at most.
WRITE_INTERVAL_SECONDS = 0.01


class CachedTimeFormatter(logging.Formatter):
    """logging.Formatter whose default `asctime` (no datefmt) reuses the text of the second it is
    in: time.localtime + strftime once per second instead of once per line, the same text."""

    _second: tuple[int, str] = (-1, "")

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        if datefmt or not self.default_msec_format:
            return super().formatTime(record, datefmt)
        second = int(record.created)
        cached = self._second  # one read: another thread may replace the pair meanwhile
        if cached[0] == second:
            text = cached[1]
        else:
            text = time.strftime(self.default_time_format, self.converter(second))
            self._second = (second, text)
        return self.default_msec_format % (text, record.msecs)


class _Flushed:
    """A marker on the queue: set once every line queued before it is written."""

    __slots__ = ("event",)

    def __init__(self) -> None:
        self.event = threading.Event()


class BackgroundStreamHandler(logging.StreamHandler):  # type: ignore[type-arg]
    def __init__(self, stream: IO[str] | None = None) -> None:
        super().__init__(stream if stream is not None else sys.stderr)
        self._lines: collections.deque[str | _Flushed] = collections.deque()
        # The writer sleeps without a timeout only after a round found nothing to write; a logging
        # thread rings it awake then (the first line after a quiet spell), else it wakes on its
        # own every WRITE_INTERVAL_SECONDS. Waking a sleeping thread from one that holds the GIL
        # is the expensive part of a hand-off on a busy machine (the woken thread preempts the
        # waker, which then stalls every thread): under load no logging thread wakes anyone.
        self._asleep = False
        self._bell: queue.SimpleQueue[None] = queue.SimpleQueue()
        self._writer = threading.Thread(target=self._write_forever, name="devhost-log", daemon=True)
        self._writer.start()

    def handle(self, record: logging.LogRecord) -> Any:
        """Handler.handle without the handler lock (emit needs none: see the module docstring)."""
        rv = self.filter(record)
        if rv:
            self.emit(record)
        return rv

    def emit(self, record: logging.LogRecord) -> None:
        try:
            line = self.format(record)
        except Exception:
            self.handleError(record)
            return
        self._queue(line)

    def _queue(self, item: str | _Flushed) -> None:
        self._lines.append(item)
        if self._asleep:
            self._asleep = False
            self._bell.put(None)  # two threads may both ring: the writer then takes one round more

    def flush(self) -> None:
        if threading.current_thread() is self._writer or not self._writer.is_alive():
            return
        marker = _Flushed()
        self._queue(marker)
        marker.event.wait(FLUSH_TIMEOUT_SECONDS)

    def _write_forever(self) -> None:
        no_wakeup_preemption()  # its timed wake-ups must not preempt a thread holding the GIL
        lines = self._lines
        while True:
            batch: list[str | _Flushed] = []
            while lines:
                batch.append(lines.popleft())
            if not batch:
                self._asleep = True
                if lines:  # a line queued before the flag was up: its thread did not ring
                    self._asleep = False
                    continue
                self._bell.get()
                continue
            text = [b for b in batch if isinstance(b, str)]
            if text:
                self._write(self.terminator.join(text) + self.terminator)
            for b in batch:
                if isinstance(b, _Flushed):
                    b.event.set()
            time.sleep(WRITE_INTERVAL_SECONDS)

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: as StreamHandler, go on
            pass


def flush_before_tracebacks(handler: logging.Handler) -> None:
    """An uncaught exception's traceback goes to stderr directly (sys.excepthook, and
    threading.excepthook for a thread's): the lines logged before it must be written before it,
    as StreamHandler had written them, not spliced into its middle by the writer's next batch."""
    system, threads = sys.excepthook, threading.excepthook

    def system_hook(*args: Any) -> None:
        handler.flush()
        system(*args)

    def thread_hook(args: Any) -> None:
        handler.flush()
        threads(args)

    sys.excepthook = system_hook
    threading.excepthook = thread_hook
