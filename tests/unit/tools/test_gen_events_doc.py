"""docs/events.md is generated from the event registry and must be up to date."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tools import gen_events_doc

ROOT = Path(__file__).resolve().parents[3]


def test_committed_events_doc_is_up_to_date() -> None:
    # A fresh process: tests in this one may have registered throwaway event types.
    proc = subprocess.run(
        [sys.executable, "-m", "tools.gen_events_doc", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr + "\nregenerate: .venv/bin/python -m tools.gen_events_doc"


def test_rendering_lists_producer_consumers_and_fields() -> None:
    text = gen_events_doc.render()
    assert "| [PlatformPinged](#platformpinged) | platform | ops |" in text
    section = text.split("## PlatformPinged", 1)[1]
    assert "- source: `smartcommerce.platform`" in section
    assert "| `requestedBy` | string | yes |" in section
    assert "| `note` | string | no |" in section
