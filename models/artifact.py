"""What a training pipeline hands to the registry: the ONNX bytes and their metadata."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class ModelArtifact:
    """A parity-checked model ready to register.

    metadata keys written by every pipeline: model, featureNames, metrics, dataWindow, params,
    parity ({rows, max_abs_diff, tolerance, passed}); the registry adds version, createdAt, sha256.
    Model-specific keys (e.g. the fraud baseline row) ride along.
    """

    name: str
    onnx: bytes
    metadata: dict[str, Any]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.onnx).hexdigest()
