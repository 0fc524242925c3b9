"""Relevance metrics and the systems compared on the labelled query set (used by search_bench)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from shared.search.engine import SearchIndex, SearchRequest
from shared.search.engine.keyword import KeywordFilter

QUERIES = Path(__file__).parent / "data" / "search_queries.json"
K = 10
System = Callable[[str], list[str]]


def load_queries() -> list[dict[str, Any]]:
    return list(json.loads(QUERIES.read_text())["queries"])


def ndcg(ranked: Sequence[str], labels: dict[str, int], k: int = K) -> float:
    dcg = sum((2 ** labels.get(p, 0) - 1) / math.log2(i + 2) for i, p in enumerate(ranked[:k]))
    ideal = sorted(labels.values(), reverse=True)[:k]
    best = sum((2**g - 1) / math.log2(i + 2) for i, g in enumerate(ideal))
    return dcg / best if best else 0.0


def recall(ranked: Sequence[str], labels: dict[str, int], k: int = K) -> float:
    """Relevant products in the top k over min(k, relevant): 1.0 is reachable for every query."""
    relevant = {p for p, g in labels.items() if g > 0}
    return len(relevant & set(ranked[:k])) / min(k, len(relevant)) if relevant else 0.0


def evaluate(system: System, queries: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Mean nDCG@10 / recall@10 overall ('all') and per query type."""
    per: dict[str, list[tuple[float, float]]] = {}
    for q in queries:
        ranked = system(q["query"])
        scores = (ndcg(ranked, q["labels"]), recall(ranked, q["labels"]))
        per.setdefault("all", []).append(scores)
        per.setdefault(q["type"], []).append(scores)
    return {
        t: {"ndcg": sum(s[0] for s in v) / len(v), "recall": sum(s[1] for s in v) / len(v), "n": len(v)}
        for t, v in per.items()
    }


def engine(index: SearchIndex, mode: str) -> System:
    def run(text: str) -> list[str]:
        return [h.product_id for h in index.search(SearchRequest(text, mode=mode, limit=K)).items]  # type: ignore[arg-type]

    return run


def plain_bm25(index: SearchIndex) -> System:
    """The baseline: the same tantivy index and analyzer, any word, no field boosts, no typo
    tolerance, BM25 order (what a default full-text setup gives)."""

    def run(text: str) -> list[str]:
        hits = index.keyword.search(
            text, KeywordFilter(), limit=K, boosted=False, fuzzy=False, conjunctive=False
        )
        docs = index.docs
        return [d.product_id for d in (docs[int(r)] for r in hits.rows) if d is not None]

    return run


def tune(index: SearchIndex, validation: list[dict[str, Any]]) -> tuple[dict[str, float], float]:
    """Grid search of the fusion on the validation queries: the best options and their nDCG@10."""
    base = index.options
    best: tuple[float, dict[str, float]] = (-1.0, {})
    for threshold in (0.3, 0.35, 0.4):
        for k in (5.0, 10.0, 20.0, 60.0):
            for sw in (0.5, 0.75, 1.0, 1.5, 2.0):
                params = {"semantic_threshold": threshold, "rrf_k": k, "semantic_weight": sw}
                index.options = replace(base, **params)  # type: ignore[arg-type]
                score = evaluate(engine(index, "hybrid"), validation)["all"]["ndcg"]
                if score > best[0] + 1e-9:
                    best = (score, params)
    index.options = base
    return best[1], best[0]
