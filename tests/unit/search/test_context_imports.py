"""Cold start: the search routes and consumers import neither the engine nor the model; the first
search does (a test would pass trivially if the modules were never imported: the second checks
the check sees them)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
# onnxruntime is not listed: the fraud and pricing scorers already load it at import.
ENGINE = ("tantivy", "tokenizers", "models.embeddings")


def _imported(code: str) -> list[str]:
    probe = (
        f"import sys\n{code}\n"
        f"print(','.join(sorted(m for m in sys.modules"
        f" if any(m == e or m.startswith(e + '.') for e in {ENGINE!r}))))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return [m for m in result.stdout.strip().split(",") if m]


def test_function_app_does_not_load_the_search_engine() -> None:
    assert _imported("import function_app") == []


def test_the_probe_sees_the_engine_when_it_is_loaded() -> None:
    loaded = _imported("import shared.search.embedded, models.embeddings.encoder")
    assert "tantivy" in loaded and "models.embeddings" in loaded
