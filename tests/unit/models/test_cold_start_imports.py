"""Request paths import onnxruntime only: scikit-learn, scipy and pandas would add ~2 s of cold start."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
HEAVY = ("sklearn", "scipy", "pandas")
SERVING_MODULES = [
    "models.runtime",
    "models.registry",
    "models.fraud",
    "models.fraud.features",
    "shared.fraud.service",
    "functions.fraud",
    "functions.models",
    "functions.fraud_monitoring",
    "shared.orders.fraud_monitoring",
    "shared.orders.fraud_labels",
    "models.fraud.labelled",
    "orchestrations.model_retraining",
    "models.retraining",
    "models.catalog",
    "function_app",
]


@pytest.mark.parametrize("module", SERVING_MODULES)
def test_serving_module_does_not_import_training_libraries(module: str) -> None:
    code = (
        f"import sys, {module}\n"
        f"bad = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r})\n"
        "print(','.join(bad))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{module} imports {result.stdout.strip()}"


def test_the_check_itself_notices_a_training_import() -> None:
    code = "import sys, models.fraud.training\nprint('sklearn' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.stdout.strip() == "True"
