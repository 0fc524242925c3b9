"""The ONNX graph (MatMul + TopK + mask) gives the numpy reference's items and scores."""

from __future__ import annotations

import numpy as np

from models.recommend import RecsScorer


def test_onnx_matches_numpy(artifact: bytes) -> None:
    scorer = RecsScorer(artifact)
    rng = np.random.default_rng(1)
    for _ in range(50):
        vector = np.zeros(scorer.n_items, dtype=np.float32)
        picks = rng.choice(scorer.n_items, size=rng.integers(1, 8), replace=False)
        vector[picks] = rng.uniform(0.5, 3.0, size=len(picks)).astype(np.float32)
        mask = (rng.random(scorer.n_items) < 0.2).astype(np.float32)
        mask[picks] = 1.0
        k = int(rng.integers(1, scorer.n_items))
        ov, oi = scorer.top_onnx(vector, mask, k)
        nv, ni = scorer.top_numpy(vector, mask, k)
        np.testing.assert_allclose(ov, nv, rtol=1e-5, atol=1e-6)
        # Indices agree except where two scores tie (either order is right then).
        ties = np.isclose(ov[:, None], nv[None, :], rtol=1e-6, atol=1e-7).sum(axis=1) > 1
        assert np.array_equal(oi[~ties], ni[~ties])
        assert not set(oi.tolist()) & set(np.flatnonzero(mask).tolist())
