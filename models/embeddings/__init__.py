"""Sentence embeddings for search: the int8 all-MiniLM-L6-v2 on onnxruntime (serving-safe).

`import models.embeddings` is cheap (no onnxruntime, tokenizers or model load): the session and
the tokenizer load on the first `encode` (~1.7 s), so a cold worker that never searches pays
nothing. Only onnxruntime, `tokenizers` and numpy are used; no torch, no download.
"""

from models.embeddings.encoder import DIMENSION, MODEL_ID, MiniLMEncoder, default_encoder

__all__ = ["DIMENSION", "MODEL_ID", "MiniLMEncoder", "default_encoder"]
