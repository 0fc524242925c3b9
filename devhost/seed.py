"""First-start seeding: demo data, initial model training, ...

Seeders run once per data dir (a marker file records success), in a background thread so the HTTP
server answers /api/health at once; `host.seed_done` tells tests and tools when they finished.
Each entry names a `module:function` taking the data dir (Path); later issues add theirs here.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

from devhost.extensions import resolve

log = logging.getLogger("devhost.seed")

MARKER = ".seeded"

SEEDERS: list[str] = [
    "devhost.demo_data:seed_demo_catalog",
    "devhost.model_seed:seed_models",
    # e.g. "shared.catalog.seed:seed_demo_catalog",
]


def needs_seed(data_dir: Path) -> bool:
    return not (data_dir / MARKER).exists()


def run_seeders(data_dir: Path, seeders: list[str] | None = None) -> bool:
    """Run every seeder in order; write the marker only if all succeeded. Returns success."""
    for target in SEEDERS if seeders is None else seeders:
        start = time.perf_counter()
        try:
            resolve(target)(data_dir)
        except Exception:
            log.exception("seeder %s failed; it will run again on the next start", target)
            return False
        log.info("seeded %s in %.1f s", target, time.perf_counter() - start)
    (data_dir / MARKER).write_text(time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()) + "\n")
    return True
