"""A cold instance's first `GET /api/recommendations`: devhost started afresh on a seeded data dir,
then one request of each kind, timed, with devhost's CPU (user + system, /proc) over each.

    .venv/bin/python bench/recs_first_request.py [--starts 3] [--root /path/to/other/checkout]

The first request loads the champion model (registry -> `RecsScorer`): what a new Functions
instance's first shopper waits for. `--root` starts another checkout's devhost on the same seeded
data (to compare two branches back to back in one run; the artifact format is shared). Also
prints a load-only figure in a bare process: `import models.recommend`, `RecsScorer(artifact)`
and the first `recommend_from`, CPU seconds.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.http_bench import spawn  # noqa: E402
from bench.order_bench import cpu_seconds  # noqa: E402
from bench.recs_api_bench import DEVHOST, READY, seed, shopper_tokens  # noqa: E402

LOAD_ONLY = """
import sys, time
t0 = time.process_time()
from models.recommend import RecsScorer
data = open(sys.argv[1], "rb").read()
t1 = time.process_time()
scorer = RecsScorer(data)
scorer.recommend_from({item: 1.0 for item in scorer.item_ids[:3]}, k=10)
t2 = time.process_time()
print(f"{t1 - t0:.3f} {t2 - t1:.3f} {'onnx' in sys.modules} {scorer.n_items}")
"""


def timed_get(url: str, headers: dict[str, str], pid: int) -> tuple[float, float]:
    cpu, started = cpu_seconds(pid), time.perf_counter()
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=60) as resp:
        resp.read()
    return (time.perf_counter() - started) * 1000, (cpu_seconds(pid) - cpu) * 1000


def one_start(root: Path, data_dir: Path) -> str:
    env = {**os.environ, "PYTHONPATH": str(root)}
    started = time.perf_counter()
    proc, url = spawn([*DEVHOST, str(data_dir)], READY, env, cwd=root)
    ready_s, ready_cpu = time.perf_counter() - started, cpu_seconds(proc.pid)
    try:
        base = f"{url}/api/recommendations?limit=20"
        token = shopper_tokens(url, data_dir, ["demo-shopper-0000"])[0]
        auth = {"Authorization": f"Bearer {token}"}
        cpu_before = cpu_seconds(proc.pid)
        first = timed_get(base, auth, proc.pid)
        second = timed_get(base.replace("limit=20", "limit=10"), auth, proc.pid)
        return (
            f"ready {ready_s:.2f} s (cpu {ready_cpu:.2f} s, token {cpu_before - ready_cpu:.2f} s); "
            f"first personal {first[0]:.0f} ms (cpu {first[1]:.0f} ms); "
            f"next {second[0]:.1f} ms (cpu {second[1]:.1f} ms)"
        )
    finally:
        proc.terminate()
        proc.wait(10)


def load_only(root: Path, data_dir: Path) -> str:
    artifacts = sorted(p for p in (data_dir / "blobs").rglob("*model.onnx") if p.parent.name == "data")
    if not artifacts:
        return "no artifact found"
    out = subprocess.run(
        [sys.executable, "-c", LOAD_ONLY, str(artifacts[-1])],
        cwd=root,
        env={**os.environ, "PYTHONPATH": str(root)},
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    return f"import {out[0]} s, load + first {out[1]} s of CPU, onnx imported: {out[2]}, {out[3]} items"


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    parser.add_argument("--root", type=Path, action="append", default=[], help="another checkout")
    args = parser.parse_args()
    roots = [ROOT, *args.root]
    print(f"load average {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        seed(data_dir)
        for n in range(args.starts):
            for root in roots:  # alternate: noise hits both alike
                print(f"[{n}] {root.name}: {one_start(root, data_dir)}")
                print(f"[{n}] {root.name}: bare process: {load_only(root, data_dir)}")
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
