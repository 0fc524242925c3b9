"""The int8 MiniLM encoder: parity with a stored reference, batching, and ML.md's sanity facts."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import numpy as np

from models.embeddings import DIMENSION, MiniLMEncoder
from models.embeddings.encoder import TOKENIZER_PATH

REFERENCE = Path(__file__).resolve().parents[2] / "data" / "search" / "embedding_reference.json"


def test_batched_vectors_match_the_stored_reference(encoder: MiniLMEncoder) -> None:
    ref = json.loads(REFERENCE.read_text())
    vectors = encoder.encode(ref["sentences"])  # one padded batch of very different lengths
    cosines = np.sum(vectors * np.array(ref["vectors"], dtype=np.float32), axis=1)
    assert cosines.min() >= 0.9999, cosines


def test_a_text_gets_the_same_vector_alone_and_in_a_batch(encoder: MiniLMEncoder) -> None:
    texts = ["kettle", "a much longer sentence about a sleeping bag for cold nights in the mountains", ""]
    together = encoder.encode(texts)
    alone = np.stack([encoder.encode_one(t) for t in texts])
    assert np.sum(together * alone, axis=1).min() >= 0.9999


def test_vectors_are_unit_length_and_shaped(encoder: MiniLMEncoder) -> None:
    vectors = encoder.encode(["one", "two words", "three words here"])
    assert vectors.shape == (3, DIMENSION) and vectors.dtype == np.float32
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert encoder.encode([]).shape == (0, DIMENSION)


def test_truncation_is_256_tokens_not_the_files_128(encoder: MiniLMEncoder) -> None:
    head = "word " * 150
    # Tokens 150-255 count at 256 (they would be cut at 128): a different tail changes the vector.
    a, b = encoder.encode([head + "kettle " * 100, head + "tent " * 100])
    assert float(a @ b) < 0.99


def test_similarity_facts_of_ml_md(encoder: MiniLMEncoder) -> None:
    similar = encoder.encode(["How do I reset my password?", "I forgot my login credentials"])
    unrelated = encoder.encode(["A man is eating a piece of bread.", "The girl is carrying a baby."])
    assert abs(float(similar[0] @ similar[1]) - 0.69) < 0.05
    assert abs(float(unrelated[0] @ unrelated[1]) - (-0.06)) < 0.05


def test_the_vendored_tokenizer_is_the_file_its_notice_names() -> None:
    notice = (TOKENIZER_PATH.parent / "NOTICE").read_text()
    digest = re.search(r"sha256 ([0-9a-f]{64})", notice)
    assert digest is not None
    assert hashlib.sha256(TOKENIZER_PATH.read_bytes()).hexdigest() == digest.group(1)
    assert "Apache License" in (TOKENIZER_PATH.parent / "LICENSE-tokenizer").read_text()
