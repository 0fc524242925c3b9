"""Loaded into devhost by `recs_api_bench.py --stalls` (this folder first on PYTHONPATH): logs,
to the file named by SC_STALL_LOG, every garbage collection (generation, start, duration) and
every time a 1 ms sleeper thread woke up more than 2 ms late (someone held the interpreter), on
`time.perf_counter()`, which on Linux is CLOCK_MONOTONIC and so comparable with the client's.
Measurement only: nothing here changes what devhost does, unless SC_STALL_FREEZE=1 (the
`--freeze` experiment, not a product setting): then, after every full collection, this thread
calls `gc.freeze()`, so later full collections walk only what was allocated since."""

from __future__ import annotations

import gc
import os
import threading
import time

_path = os.environ.get("SC_STALL_LOG")
if _path:
    _lines: list[str] = []
    _started = [0.0]
    _freeze = os.environ.get("SC_STALL_FREEZE") == "1"
    _full_done = [False]

    def _on_gc(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            _started[0] = time.perf_counter()
        else:
            now = time.perf_counter()
            _lines.append(f"gc {info['generation']} {_started[0]:.6f} {(now - _started[0]) * 1000:.3f}\n")
            if info["generation"] == 2:
                _full_done[0] = True

    gc.callbacks.append(_on_gc)

    def _sleeper(path: str) -> None:
        last_flush = time.perf_counter()
        while True:
            before = time.perf_counter()
            time.sleep(0.001)
            after = time.perf_counter()
            late = (after - before - 0.001) * 1000
            if late > 2.0:
                _lines.append(f"late {before:.6f} {late:.3f}\n")
            if _freeze and _full_done[0]:  # not inside the callback: gc calls are not allowed there
                _full_done[0] = False
                gc.freeze()
                _lines.append(f"freeze {after:.6f} {gc.get_freeze_count()}\n")
            if after - last_flush > 0.5 and _lines:
                chunk = _lines[:]
                del _lines[: len(chunk)]
                with open(path, "a") as f:
                    f.writelines(chunk)
                last_flush = after

    threading.Thread(target=_sleeper, args=(_path,), name="stall-probe", daemon=True).start()
