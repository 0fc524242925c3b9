"""Item-item models for implicit feedback, all returning an [n, n] matrix W so that a user's scores
are history @ W (the fold-in the ONNX graph serves). Training side: numpy/scipy/sklearn.

- EASE (Steck 2019): B = I - P / diag(P), P = (X'X + lambda I)^-1, zero diagonal. One n x n solve.
- EDLAE-style denoising (Steck 2020): EASE with the dropout penalty p/(1-p) * diag(X'X) added to
  lambda, which regularises popular items more (a popularity-debiasing effect).
- RP3beta (Paudel et al. 2017): 3-step random-walk transition, divided by popularity^beta.
- Co-occurrence cosine: the classic "customers who bought this also bought".
- ALS (`implicit`): item factors Y; fold-in W = Y (Y'Y + reg I)^-1 Y' (a new user's least-squares row).
- Content: TF-IDF cosine of item text + category (sklearn), top neighbours kept.
- Low-pass (the "ideal low-pass filter" of GF-CF, Shen et al., CIKM 2021): the projection on the
  top singular vectors of the degree-normalised interaction matrix, D^-1/2 V V' D^1/2; a smooth,
  global signal that complements EASE's sharp item-item weights in the hybrid.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy import sparse


def gram(X: sparse.spmatrix) -> np.ndarray:
    return np.asarray((X.T @ X).toarray(), dtype=np.float64)


def ease(G: np.ndarray, lam: float, *, dropout: float = 0.0) -> np.ndarray:
    """EASE weights from the Gram matrix; dropout > 0 gives the EDLAE/DLAE emphasis on rare items."""
    diag = np.diag(G).copy()
    reg = lam + (dropout / (1.0 - dropout)) * diag if dropout > 0 else np.full_like(diag, lam)
    A = G.copy()
    A[np.diag_indices_from(A)] += reg
    P = np.linalg.inv(A)
    B = -P / np.diag(P)[None, :]
    np.fill_diagonal(B, 0.0)
    return B.astype(np.float32)


def cooccurrence_cosine(G: np.ndarray) -> np.ndarray:
    norms = np.sqrt(np.maximum(np.diag(G), 1e-12))
    S = G / norms[:, None] / norms[None, :]
    np.fill_diagonal(S, 0.0)
    return S.astype(np.float32)


def rp3beta(X: sparse.spmatrix, alpha: float = 1.0, beta: float = 0.5) -> np.ndarray:
    Xb = sparse.csr_matrix(X, dtype=np.float64)
    Xb.data[:] = 1.0
    user_deg = np.asarray(Xb.sum(axis=1)).ravel()
    item_deg = np.asarray(Xb.sum(axis=0)).ravel()
    Pui = sparse.diags(1.0 / np.maximum(user_deg, 1)) @ Xb
    Piu = sparse.diags(1.0 / np.maximum(item_deg, 1)) @ Xb.T
    if alpha != 1.0:
        Pui = Pui.power(alpha)
        Piu = Piu.power(alpha)
    W = np.asarray((Piu @ Pui).toarray())
    W = W / np.power(np.maximum(item_deg, 1), beta)[None, :]
    np.fill_diagonal(W, 0.0)
    return W.astype(np.float32)


def als_foldin(
    X: sparse.spmatrix,
    factors: int = 64,
    reg: float = 0.05,
    iterations: int = 15,
    alpha: float = 1.0,
    seed: int = 0,
) -> np.ndarray:
    """ALS item factors (implicit), served as the linear fold-in matrix Y (Y'Y + reg I)^-1 Y'."""
    from implicit.als import AlternatingLeastSquares

    model = AlternatingLeastSquares(
        factors=factors,
        regularization=reg,
        iterations=iterations,
        alpha=alpha,
        random_state=seed,
        use_gpu=False,
    )
    model.fit(sparse.csr_matrix(X, dtype=np.float32), show_progress=False)
    Y = np.asarray(model.item_factors, dtype=np.float64)
    M = np.linalg.inv(Y.T @ Y + reg * np.eye(Y.shape[1]))
    W = Y @ M @ Y.T
    np.fill_diagonal(W, 0.0)
    return W.astype(np.float32)


def lowpass(X: sparse.spmatrix, rank: int) -> np.ndarray:
    """GF-CF's ideal low-pass filter: R~ = Du^-1/2 R Di^-1/2 (binary R), V = its top `rank` right
    singular vectors, W = Di^-1/2 V V' Di^1/2 with a zero diagonal (history @ W is item-item)."""
    from scipy.sparse.linalg import svds

    R = sparse.csr_matrix(X, dtype=np.float64)
    R.data[:] = 1.0
    n = R.shape[1]
    k = min(int(rank), min(R.shape) - 1)
    if k < 1:
        return np.zeros((n, n), dtype=np.float32)
    du = np.sqrt(np.maximum(np.asarray(R.sum(axis=1)).ravel(), 1.0))
    di = np.sqrt(np.maximum(np.asarray(R.sum(axis=0)).ravel(), 1.0))
    Rt = sparse.diags(1.0 / du) @ R @ sparse.diags(1.0 / di)
    # A fixed start vector: the same data gives the same model (ARPACK starts at random otherwise).
    _, _, vt = svds(Rt, k=k, v0=np.full(min(Rt.shape), 1.0 / np.sqrt(min(Rt.shape))))
    V = vt.T.astype(np.float32)
    W = ((V / di[:, None].astype(np.float32)) @ (V.T * di[None, :].astype(np.float32))).astype(np.float32)
    np.fill_diagonal(W, 0.0)
    return W


def content_similarity(
    texts: Sequence[str], categories: Sequence[str | None], *, neighbours: int = 50
) -> np.ndarray:
    """TF-IDF cosine over title/description words plus the category as one token; top neighbours."""
    n = len(texts)
    docs = [
        f"{t} __cat_{(c or '').replace(' ', '_').lower()}" if c else t
        for t, c in zip(texts, categories, strict=True)
    ]
    S = np.zeros((n, n), dtype=np.float32)
    if n == 0 or not any(d.strip() for d in docs):
        return S
    from sklearn.feature_extraction.text import TfidfVectorizer

    try:
        V = TfidfVectorizer(token_pattern=r"(?u)\b\w\w+\b", sublinear_tf=True).fit_transform(docs)
    except ValueError:  # only stop words / empty vocabulary
        return S
    S = np.asarray((V @ V.T).toarray(), dtype=np.float32)
    np.fill_diagonal(S, 0.0)
    if neighbours < n:
        cut = np.partition(S, n - neighbours, axis=1)[:, n - neighbours][:, None]
        S[cut > S] = 0.0
    return S
