"""The fit_tabular example in docs/ml.md runs as written (the documented contract stays true)."""

from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parents[3] / "docs" / "ml.md"


def test_the_documented_fit_tabular_example_runs() -> None:
    text = DOC.read_text(encoding="utf-8")
    match = re.search(r"<!-- example: fit_tabular -->\s*```python\n(.*?)```", text, re.S)
    assert match, "docs/ml.md lost its fit_tabular example"
    exec(compile(match.group(1), str(DOC), "exec"), {"__name__": "docs_example"})  # asserts parity itself
