"""Serving: a trained recommender artifact on onnxruntime + numpy (no pandas, scipy or sklearn).

`RecsScorer(artifact_bytes)` answers three questions, each with a reason per item:
- `recommend_from(history, k, exclude)`: personal recommendations from a user's history
  {item_id: weight}. The history is folded in at request time (one row times the item model), so a
  new interaction changes the next answer immediately, with no retraining. No known history ->
  popularity (cold start).
- `similar_to(item_id, k, exclude)`: a product page's "customers also bought" / "similar to".
- `popular(k, category, exclude)`: recent popularity, overall or in one category.

`exclude` is the caller's set of items never to show (already purchased, archived, out of stock);
unknown ids in it, or in the history, are ignored.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Iterable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

import numpy as np
import onnxruntime as ort

from models.recommend.graph import HISTORY, INDICES, MASK, MASK_PENALTY, VALUES, K, RecsModel, from_onnx

ReasonKind = Literal["also_bought", "similar_to", "popular_in", "popular"]
_MASKED = -MASK_PENALTY / 10


@dataclass(frozen=True)
class Reason:
    """Why an item is shown: the history item it comes from, or the category it is popular in."""

    kind: ReasonKind
    item_id: Any = None  # also_bought / similar_to: the item in the user's history (or the page's)
    category: str | None = None  # popular_in

    def text(self, names: Mapping[Any, str] | None = None) -> str:
        """The phrase the API shows; `names` maps item ids to display names."""
        if self.kind == "also_bought":
            return "customers also bought"
        if self.kind == "similar_to":
            name = (names or {}).get(self.item_id, str(self.item_id))
            return f"similar to {name}"
        if self.kind == "popular_in" and self.category:
            return f"popular in {self.category}"
        return "popular"


@dataclass(frozen=True)
class Recommendation:
    item_id: Any
    score: float
    reason: Reason


class RecsScorer:
    """One loaded artifact: an onnxruntime session plus the arrays it was built from."""

    def __init__(self, artifact: bytes) -> None:
        self.model: RecsModel = from_onnx(artifact)
        options = ort.SessionOptions()
        # Single-row serving on 2 cores: one intra-op thread is fastest and leaves the other core free.
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(artifact, options, providers=["CPUExecutionProvider"])
        self.item_ids: list[Any] = self.model.item_ids
        self._index: dict[Hashable, int] = {item: i for i, item in enumerate(self.item_ids)}
        # Ids reach us as strings from HTTP: match "42" to a model trained on int 42 as well.
        self._index_str: dict[str, int] = {str(item): i for i, item in enumerate(self.item_ids)}
        self._categories = self.model.categories
        self._bias = self.model.bias
        self._pop_order = np.argsort(-self.model.popularity, kind="stable")
        self._reasons: dict[tuple[str, Any], Reason] = {}
        self._k_feeds: dict[int, np.ndarray] = {}

    @classmethod
    def from_bytes(cls, artifact: bytes) -> RecsScorer:
        return cls(artifact)

    @property
    def n_items(self) -> int:
        return len(self.item_ids)

    @property
    def info(self) -> dict[str, Any]:
        return self.model.info

    def index_of(self, item_id: Any) -> int | None:
        if type(item_id) is str:  # the serving path: ids from HTTP (one dict lookup)
            found = self._index_str.get(item_id)
            return found if found is not None else self._index.get(item_id)
        found = self._index.get(item_id) if isinstance(item_id, Hashable) else None
        return found if found is not None else self._index_str.get(str(item_id))

    def category_of(self, item_id: Any) -> str | None:
        i = self.index_of(item_id)
        return None if i is None else self._categories[i]

    # --- the three questions ---------------------------------------------------------------

    def recommend_from(
        self,
        history: Mapping[Any, float],
        k: int = 10,
        exclude: Collection[Any] = frozenset(),
        *,
        exclude_history: bool = True,
    ) -> list[Recommendation]:
        vector = self.history_vector(history)
        mask = self.mask_for(exclude)
        if exclude_history:
            mask[vector != 0] = 1.0
        if not vector.any():
            return self.popular(k, exclude=self._ids(np.flatnonzero(mask)))
        values, indices = self.top_onnx(vector, mask, k)
        return self._explain(vector, values, indices, anchor=None)

    def similar_to(
        self, item_id: Any, k: int = 10, exclude: Collection[Any] = frozenset()
    ) -> list[Recommendation]:
        i = self.index_of(item_id)
        if i is None:
            return self.popular(k, exclude=exclude)
        vector = np.zeros(self.n_items, dtype=np.float32)
        vector[i] = 1.0
        mask = self.mask_for(exclude)
        mask[i] = 1.0
        values, indices = self.top_onnx(vector, mask, k)
        return self._explain(vector, values, indices, anchor=self.item_ids[i])

    def popular(
        self, k: int = 10, category: str | None = None, exclude: Collection[Any] = frozenset()
    ) -> list[Recommendation]:
        skip = {j for j in (self.index_of(e) for e in exclude) if j is not None}
        out: list[Recommendation] = []
        for j in self._pop_order:
            if len(out) >= k:
                break
            if int(j) in skip or (category is not None and self._categories[j] != category):
                continue
            cat = self._categories[j]
            reason = (
                Reason("popular_in", category=cat)
                if category is not None
                else Reason("popular", category=cat)
            )
            out.append(Recommendation(self.item_ids[j], float(self.model.popularity[j]), reason))
        return out

    # --- scoring (ONNX on the request path; numpy as the reference) --------------------------

    def history_vector(self, history: Mapping[Any, float]) -> np.ndarray:
        vector = np.zeros(self.n_items, dtype=np.float32)
        index_of = self.index_of
        for item, weight in history.items():
            j = index_of(item)
            if j is not None and math.isfinite(weight):
                vector[j] += weight
        return vector

    def mask_for(self, exclude: Iterable[Any]) -> np.ndarray:
        mask = np.zeros(self.n_items, dtype=np.float32)
        index_of = self.index_of
        found = [j for j in map(index_of, exclude) if j is not None]
        if found:
            mask[found] = 1.0
        return mask

    def top_onnx(self, vector: np.ndarray, mask: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(scores, item indices) best first, excluded items dropped."""
        top = max(0, min(int(k), self.n_items))
        k_feed = self._k_feeds.get(top)
        if k_feed is None:  # one small array per k, not one per request (the session only reads it)
            k_feed = self._k_feeds.setdefault(top, np.array([top], dtype=np.int64))
        feed = {
            HISTORY: vector.reshape(1, -1).astype(np.float32, copy=False),
            MASK: mask.reshape(1, -1).astype(np.float32, copy=False),
            K: k_feed,
        }
        values, indices = self._session.run([VALUES, INDICES], feed)
        keep = values[0] > _MASKED
        return values[0][keep], indices[0][keep]

    @cached_property
    def _w(self) -> np.ndarray:
        """The blended item-item matrix of the numpy reference (built on first use: serving runs
        the graph, so a loaded scorer does not hold a third [n, n] copy nor pay for it at load)."""
        model = self.model
        return (model.alpha_cf * model.w_cf + model.alpha_content * model.w_content).astype(np.float32)

    def scores_numpy(self, vector: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """The same scores as the ONNX graph, in numpy (the parity reference)."""
        return vector @ self._w + self._bias - mask * np.float32(MASK_PENALTY)

    def top_numpy(self, vector: np.ndarray, mask: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        scores = self.scores_numpy(vector, mask)
        order = np.argsort(-scores, kind="stable")[: max(0, min(int(k), self.n_items))]
        keep = scores[order] > _MASKED
        return scores[order][keep], order[keep]

    # --- reasons ------------------------------------------------------------------------------

    def _explain(
        self, vector: np.ndarray, values: np.ndarray, indices: np.ndarray, anchor: Any
    ) -> list[Recommendation]:
        """Split each item's score into its collaborative and content parts (vectorised over the
        k items: one [history, k] block each) and name the history item that contributed most.
        The blocks are gathered by broadcast indices (`np.ix_` cost more than the gathers for a
        few dozen rows) and the reasons are shared objects (frozen; one per kind and item or
        category): a cold request's list was ~100 us of this, half of it building the objects."""
        hist = np.flatnonzero(vector)
        rows = hist[:, None]
        weights = vector[hist][:, None]
        cf = self.model.alpha_cf * weights * self.model.w_cf[rows, indices]
        content = self.model.alpha_content * weights * self.model.w_content[rows, indices]
        cf_sums, content_sums = cf.sum(axis=0).tolist(), content.sum(axis=0).tolist()
        cf_top = hist[cf.argmax(axis=0)].tolist() if hist.size else []
        content_top = hist[content.argmax(axis=0)].tolist() if hist.size else []
        ids, categories, reason_for = self.item_ids, self._categories, self._reason
        out: list[Recommendation] = []
        for col, (j, score) in enumerate(zip(indices.tolist(), values.tolist(), strict=True)):
            cf_sum, content_sum = cf_sums[col], content_sums[col]
            if cf_sum + content_sum <= 0:
                category = categories[j]
                reason = reason_for("popular_in", category) if category else reason_for("popular", None)
            elif cf_sum >= content_sum:
                reason = reason_for("also_bought", anchor if anchor is not None else ids[cf_top[col]])
            else:
                reason = reason_for("similar_to", anchor if anchor is not None else ids[content_top[col]])
            out.append(Recommendation(ids[j], score, reason))
        return out

    def _reason(self, kind: ReasonKind, ref: Any) -> Reason:
        """The shared Reason for (kind, item or category): at most kinds x (items + categories)."""
        key = (kind, ref)
        found = self._reasons.get(key)
        if found is None:
            if kind == "popular_in":
                found = Reason(kind, category=ref)
            elif kind == "popular":
                found = Reason(kind)
            else:
                found = Reason(kind, item_id=ref)
            self._reasons[key] = found
        return found

    def _ids(self, indices: Iterable[int]) -> list[Any]:
        return [self.item_ids[int(j)] for j in indices]
